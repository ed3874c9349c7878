/**
 * What the API server checks before storing: decoding (types, unknown fields
 * under `fieldValidation=Strict`, which kubectl sends by default) and the
 * per-kind rules a deploy most often trips (names, selectors matching the
 * template, images, immutable selectors), with the server's own wording.
 */
import type { Schema } from './schema.ts'
import { KIND_SCHEMAS, goTypeOf } from './schema.ts'
import type { ResourceDef } from './resources.ts'
import type { FieldCause, KubeError } from './status.ts'
import { badRequest, invalid, statusError } from './status.ts'
import type { KObj } from './store.ts'
import { canonical } from './objects.ts'

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore'

interface Walk {
  unknown: string[]
  typeError?: string
}

const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'object' ? 'object' : typeof v)

function walk(v: unknown, s: Schema, path: string, parentType: string, out: Walk) {
  if (v === null || v === undefined || out.typeError) return
  const actual = jsonType(v)
  const fail = () => {
    out.typeError ??= `json: cannot unmarshal ${actual} into Go struct field ${parentType}.${path} of type ${goTypeOf(s)}`
  }
  switch (s.t) {
    case 'any':
      return
    case 'string':
    case 'date':
      if (actual !== 'string') fail()
      return
    case 'integer':
      if (actual !== 'number' || !Number.isInteger(v)) fail()
      return
    case 'number':
      if (actual !== 'number') fail()
      return
    case 'boolean':
      if (actual !== 'boolean') fail()
      return
    case 'int-or-string':
    case 'quantity':
      if (actual !== 'string' && actual !== 'number') fail()
      return
    case 'array':
      if (actual !== 'array') return fail()
      ;(v as unknown[]).forEach((item, i) => walk(item, s.items, `${path}[${i}]`, parentType, out))
      return
    case 'map':
      if (actual !== 'object') return fail()
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, s.value, `${path}.${k}`, parentType, out)
      return
    case 'object': {
      if (actual !== 'object') return fail()
      const name = s.name.split('.').at(-1)!
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        const sub = s.props[k]
        const p = path ? `${path}.${k}` : k
        if (!sub) out.unknown.push(p)
        else walk(x, sub, p, path ? name : name, out)
      }
    }
  }
}

export interface DecodeResult {
  error?: KubeError
  warnings: string[]
}

/** Decoding as the server does it for create/update/patch bodies. */
export function decodeCheck(r: ResourceDef, body: KObj, mode: FieldValidation, apply = false, ident = ''): DecodeResult {
  const schema = KIND_SCHEMAS[r.kind]
  if (!schema) return { warnings: [] }
  const out: Walk = { unknown: [] }
  walk(body, schema, '', r.kind, out)
  const prefix = `${r.kind} in version "${r.version}" cannot be handled as a ${r.kind}: `
  if (out.typeError) return { error: badRequest(prefix + out.typeError), warnings: [] }
  if (!out.unknown.length || mode === 'Ignore') return { warnings: [] }
  if (apply) {
    const msgs = out.unknown.map((p) => `.${p.replace(/\[\d+\]/g, '')}: field not declared in schema`)
    if (mode === 'Warn') return { warnings: msgs }
    return {
      error: badRequest(
        `failed to create typed patch object (${ident}; ${r.group ? r.group + '/' : ''}${r.version}, Kind=${r.kind}): ${msgs[0]}`
      ),
      warnings: []
    }
  }
  const msgs = out.unknown.map((p) => `unknown field "${p}"`)
  if (mode === 'Warn') return { warnings: msgs }
  return { error: badRequest(prefix + 'strict decoding error: ' + msgs.join(', ')), warnings: [] }
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

/** Go's `%#v` of a map[string]string, keys sorted, as validation messages print label maps. */
export const goMap = (m: Record<string, string> | undefined) =>
  m
    ? `map[string]string{${Object.keys(m)
        .sort()
        .map((k) => `"${k}":"${m[k]}"`)
        .join(', ')}}`
    : 'map[string]string(nil)'

export const goSelector = (s: { matchLabels?: Record<string, string>; matchExpressions?: unknown[] } | undefined) =>
  `v1.LabelSelector{MatchLabels:${goMap(s?.matchLabels)}, MatchExpressions:[]v1.LabelSelectorRequirement(${s?.matchExpressions?.length ? '...' : 'nil'})}`

type Obj = Record<string, any>

function selectorMatches(sel: Obj | undefined, labels: Record<string, string> | undefined): boolean {
  if (!sel) return false
  const ml = (sel.matchLabels ?? {}) as Record<string, string>
  if (!Object.keys(ml).length && !(sel.matchExpressions ?? []).length) return false
  return Object.entries(ml).every(([k, v]) => labels?.[k] === v)
}

function checkContainers(spec: Obj | undefined, base: string, causes: FieldCause[]) {
  const cs = spec?.containers
  if (!Array.isArray(cs) || cs.length === 0) {
    causes.push({ type: 'FieldValueRequired', message: 'Required value', field: `${base}.containers` })
    return
  }
  const names = new Set<string>()
  cs.forEach((c: Obj, i: number) => {
    const p = `${base}.containers[${i}]`
    if (!c.name) causes.push({ type: 'FieldValueRequired', message: 'Required value', field: `${p}.name` })
    else if (!DNS1123_LABEL.test(c.name))
      causes.push({ type: 'FieldValueInvalid', message: `Invalid value: "${c.name}": ${LABEL_MSG}`, field: `${p}.name` })
    else if (names.has(c.name)) causes.push({ type: 'FieldValueDuplicate', message: `Duplicate value: "${c.name}"`, field: `${p}.name` })
    names.add(c.name)
    if (!c.image) causes.push({ type: 'FieldValueRequired', message: 'Required value', field: `${p}.image` })
  })
}

/** The API server's checks of docker config secrets (ValidateSecret): the key must be there and hold JSON. */
function checkDockerConfig(o: Obj, causes: FieldCause[]) {
  const key =
    o.type === 'kubernetes.io/dockerconfigjson' ? '.dockerconfigjson' : o.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : undefined
  if (!key) return
  // `stringData` is merged into `data` before validation; here it may not have been yet.
  const text =
    o.stringData?.[key] ?? (o.data?.[key] === undefined ? undefined : Buffer.from(String(o.data[key]), 'base64').toString('utf8'))
  if (text === undefined) {
    causes.push({ type: 'FieldValueRequired', message: 'Required value', field: `data[${key}]` })
    return
  }
  try {
    JSON.parse(String(text))
  } catch (error) {
    causes.push({
      type: 'FieldValueInvalid',
      message: `Invalid value: "<secret contents redacted>": ${(error as Error).message}`,
      field: `data[${key}]`
    })
  }
}

/** Per-kind semantic checks; `old` is the stored object on updates (immutability). */
export function validateObject(r: ResourceDef, o: Obj, old?: Obj): KubeError | undefined {
  const causes: FieldCause[] = []
  const name: string = o.metadata?.name ?? ''
  if (!name && !o.metadata?.generateName) {
    causes.push({ type: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' })
  } else if (name && !(r.kind === 'Namespace' || r.kind === 'Service' ? DNS1123_LABEL : DNS1123_SUBDOMAIN).test(name)) {
    const msg = r.kind === 'Namespace' || r.kind === 'Service' ? LABEL_MSG : SUBDOMAIN_MSG
    causes.push({ type: 'FieldValueInvalid', message: `Invalid value: "${name}": ${msg}`, field: 'metadata.name' })
  }
  const spec = o.spec as Obj | undefined
  switch (r.kind) {
    case 'Secret':
      checkDockerConfig(o, causes)
      break
    case 'Pod':
      checkContainers(spec, 'spec', causes)
      break
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
    case 'DaemonSet':
    case 'Job': {
      if (typeof spec?.replicas === 'number' && spec.replicas < 0) {
        causes.push({
          type: 'FieldValueInvalid',
          message: `Invalid value: ${spec.replicas}: must be greater than or equal to 0`,
          field: 'spec.replicas'
        })
      }
      const sel = spec?.selector
      const labels = spec?.template?.metadata?.labels
      if (r.kind !== 'Job' || spec?.manualSelector) {
        if (!sel) causes.push({ type: 'FieldValueRequired', message: 'Required value', field: 'spec.selector' })
        else if (!selectorMatches(sel, labels)) {
          causes.push({
            type: 'FieldValueInvalid',
            message: `Invalid value: ${goMap(labels)}: \`selector\` does not match template \`labels\``,
            field: 'spec.template.metadata.labels'
          })
        }
      }
      checkContainers(spec?.template?.spec, 'spec.template.spec', causes)
      const rp = spec?.template?.spec?.restartPolicy
      if (r.kind === 'Job' && rp && rp !== 'Never' && rp !== 'OnFailure') {
        causes.push({
          type: 'FieldValueNotSupported',
          message: `Unsupported value: "${rp}": supported values: "OnFailure", "Never"`,
          field: 'spec.template.spec.restartPolicy'
        })
      }
      if (r.kind !== 'Job' && rp && rp !== 'Always') {
        causes.push({
          type: 'FieldValueNotSupported',
          message: `Unsupported value: "${rp}": supported values: "Always"`,
          field: 'spec.template.spec.restartPolicy'
        })
      }
      if (old && r.kind !== 'Job' && canonical(old.spec?.selector) !== canonical(sel)) {
        causes.push({ type: 'FieldValueInvalid', message: `Invalid value: ${goSelector(sel)}: field is immutable`, field: 'spec.selector' })
      }
      if (old && r.kind === 'Job' && canonical(old.spec?.template) !== canonical(spec?.template)) {
        causes.push({
          type: 'FieldValueInvalid',
          message: 'Invalid value: core.PodTemplateSpec{...}: field is immutable',
          field: 'spec.template'
        })
      }
      break
    }
  }
  return causes.length ? invalid(r, name || o.metadata?.generateName || '', causes) : undefined
}

export const unsupportedMediaType = (ct: string, supported: string[]) =>
  statusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${supported.join(', ')}`,
    { causes: undefined, ...(ct ? {} : {}) }
  )
