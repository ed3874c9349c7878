/**
 * OpenAPI v3, the documents kubectl reads before `apply`: it checks whether
 * the PATCH operation of a kind lists the `fieldValidation` parameter and, if
 * so, leaves unknown-field detection to the server (`?fieldValidation=Strict`),
 * which the twin does from the same schemas. The PATCH request bodies do not
 * list `application/strategic-merge-patch+json`, so kubectl computes
 * client-side apply patches from its compiled-in types (exact for built-in
 * kinds) instead of from these simplified schemas.
 */
import { createHash } from 'node:crypto'
import { RESOURCES, groupVersions } from './resources.ts'
import type { ResourceDef } from './resources.ts'
import { KIND_SCHEMAS } from './schema.ts'
import type { Schema } from './schema.ts'

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`)

function toOpenApi(s: Schema, defs: Record<string, unknown>): Record<string, unknown> {
  switch (s.t) {
    case 'string':
      return { type: 'string' }
    case 'date':
      return { type: 'string', format: 'date-time' }
    case 'integer':
      return { type: 'integer', format: 'int32' }
    case 'number':
      return { type: 'number', format: 'double' }
    case 'boolean':
      return { type: 'boolean' }
    case 'int-or-string':
      return { 'x-kubernetes-int-or-string': true }
    case 'quantity':
      return { 'x-kubernetes-int-or-string': true, pattern: '^[0-9.]+[a-zA-Z]*$' }
    case 'any':
      return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true }
    case 'map':
      return { type: 'object', additionalProperties: toOpenApi(s.value, defs) }
    case 'array':
      return {
        type: 'array',
        items: toOpenApi(s.items, defs),
        'x-kubernetes-list-type': s.listType,
        ...(s.keys
          ? { 'x-kubernetes-list-map-keys': s.keys, 'x-kubernetes-patch-merge-key': s.smpKey, 'x-kubernetes-patch-strategy': 'merge' }
          : {})
      }
    case 'object': {
      if (!defs[s.name]) {
        defs[s.name] = {}
        const properties: Record<string, unknown> = {}
        for (const [k, v] of Object.entries(s.props)) properties[k] = toOpenApi(v, defs)
        defs[s.name] = { type: 'object', properties }
      }
      return { allOf: [{ $ref: `#/components/schemas/${s.name}` }] }
    }
  }
}

const param = (name: string, inn: string, type = 'string') => ({ name, in: inn, schema: { type, uniqueItems: true } })
const WRITE_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation'].map((n) => param(n, 'query'))

function paths(r: ResourceDef, defs: Record<string, unknown>) {
  const gvk = { group: r.group, version: r.version, kind: r.kind }
  const schema = KIND_SCHEMAS[r.kind]
  const ref = schema ? toOpenApi(schema, defs) : { type: 'object' }
  const body = { content: { '*/*': { schema: ref } }, required: true }
  const ok = { responses: { '200': { description: 'OK', content: { 'application/json': { schema: ref } } } } }
  const base = `/${gvPath(r.group, r.version)}${r.namespaced ? '/namespaces/{namespace}' : ''}/${r.plural}`
  const nsParam = r.namespaced ? [param('namespace', 'path')] : []
  const op = (action: string, extra: Record<string, unknown> = {}) => ({
    tags: [],
    operationId: `${action}${r.kind}`,
    'x-kubernetes-action': action,
    'x-kubernetes-group-version-kind': gvk,
    ...ok,
    ...extra
  })
  return {
    [base]: {
      get: op('list'),
      post: op('post', { requestBody: body, parameters: WRITE_PARAMS }),
      delete: op('deletecollection'),
      parameters: [...nsParam, param('pretty', 'query')]
    },
    [`${base}/{name}`]: {
      get: op('get'),
      put: op('put', { requestBody: body, parameters: WRITE_PARAMS }),
      patch: op('patch', {
        requestBody: {
          content: {
            'application/apply-patch+yaml': { schema: { type: 'object' } },
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } }
          },
          required: true
        },
        parameters: [...WRITE_PARAMS, param('force', 'query', 'boolean')]
      }),
      delete: op('delete'),
      // kubectl's verifier reads path-level parameters; the real documents list fieldValidation per operation.
      parameters: [param('name', 'path'), ...nsParam, param('pretty', 'query'), param('fieldValidation', 'query')]
    }
  }
}

export function openApiDoc(group: string, version: string, kubernetesVersion: string) {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version)
  if (!rs.length) return undefined
  const defs: Record<string, unknown> = {}
  let all: Record<string, unknown> = {}
  for (const r of rs) {
    all = { ...all, ...paths(r, defs) }
    const name = (KIND_SCHEMAS[r.kind] as { name?: string } | undefined)?.name
    if (name && defs[name]) (defs[name] as Record<string, unknown>)['x-kubernetes-group-version-kind'] = [{ group, kind: r.kind, version }]
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: `v${kubernetesVersion}` }, paths: all, components: { schemas: defs } }
}

const hashes = new Map<string, string>()
export function openApiIndex(kubernetesVersion: string) {
  const out: Record<string, { serverRelativeURL: string }> = {}
  for (const { group, version } of groupVersions()) {
    const p = gvPath(group, version)
    let h = hashes.get(p)
    if (!h)
      hashes.set(
        p,
        (h = createHash('sha512')
          .update(JSON.stringify(openApiDoc(group, version, kubernetesVersion)))
          .digest('hex')
          .toUpperCase()
          .slice(0, 128))
      )
    out[p] = { serverRelativeURL: `/openapi/v3/${p}?hash=${h}` }
  }
  return { paths: out }
}
