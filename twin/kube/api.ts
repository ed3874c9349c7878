/**
 * The Kubernetes API server of every twin AKS cluster, reached at the
 * cluster's fqdn (Host header) through the twin's HTTPS server: discovery,
 * OpenAPI v3, and generic CRUD with the real server's semantics (selectors,
 * watch, server-side apply, strategic merge patch, dryRun, tables, Status
 * errors). Handlers here parse and answer; cluster.ts owns the write path.
 */
import type { ServerResponse } from 'node:http'
import { Router } from '../http.ts'
import type { TwinRequest, TwinResponse } from '../http.ts'
import type { Entra } from '../entra.ts'
import type { Cluster, TwinState } from '../state.ts'
import { authenticate, authorize } from './auth.ts'
import type { Attributes, KubeUser } from './auth.ts'
import { RESOURCES, findResource, groupVersion } from './resources.ts'
import type { ResourceDef } from './resources.ts'
import { apiGroup, apiGroupList, apiVersions, resourceList, versionInfo } from './discovery.ts'
import { openApiDoc, openApiIndex } from './openapi.ts'
import { alreadyExists, badRequest, conflictRv, expired, notFound, statusError, unauthorized } from './status.ts'
import type { KubeError } from './status.ts'
import { parseFieldSelector, parseLabelSelector } from './selectors.ts'
import type { Matcher } from './selectors.ts'
import type { KObj, StoreEvent } from './store.ts'
import { toTable, wantsTable } from './tables.ts'
import { decodeCheck, validateObject } from './validate.ts'
import type { FieldValidation } from './validate.ts'
import { KIND_SCHEMAS } from './schema.ts'
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.ts'
import { serverSideApply } from './ssa.ts'
import { applyDefaults } from './defaults.ts'
import type { KubeCluster } from './cluster.ts'
import { podLog } from './pod-log.ts'
import { podAttach } from './pod-attach.ts'

export interface KubeDeps {
  state: TwinState
  entra: Entra
}

const JSON_CT = { 'content-type': 'application/json' }
const ok = (status: number, body: unknown, headers: Record<string, string> = {}): TwinResponse => ({
  status,
  body,
  headers: { ...JSON_CT, 'audit-id': crypto.randomUUID(), ...headers }
})
const err = (e: KubeError): TwinResponse => ({ status: e.status, body: e.body, headers: { ...JSON_CT, ...(e.headers ?? {}) } })
const isErr = (x: unknown): x is KubeError => typeof x === 'object' && x !== null && 'body' in x && (x as KubeError).body?.kind === 'Status'
const warningHeader = (ws: string[]): Record<string, string> =>
  ws.length ? { warning: ws.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') } : {}

interface Target {
  r: ResourceDef
  namespace?: string
  name?: string
  subresource?: string
}

/** Splits `/api/v1/...` and `/apis/g/v/...` into resource, namespace, name, subresource. */
function parseTarget(path: string): Target | 'discovery' | undefined {
  const segs = path.split('/').filter(Boolean)
  let group: string, version: string, rest: string[]
  if (segs[0] === 'api') {
    group = ''
    version = segs[1]
    rest = segs.slice(2)
  } else if (segs[0] === 'apis') {
    group = segs[1]
    version = segs[2]
    rest = segs.slice(3)
  } else return undefined
  if (!version || !rest.length) return 'discovery'
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const r = findResource(group, version, rest[2])
    if (r && r.namespaced) return { r, namespace: rest[1], name: rest[3], subresource: rest[4] }
  }
  const r = findResource(group, version, rest[0])
  if (!r) return undefined
  return { r, name: rest[1], subresource: rest[2] }
}

const VERB: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }

function parseBody(req: TwinRequest): KObj | KubeError {
  const text = req.body.toString('utf8').trim()
  if (!text) return badRequest('the body of the request was empty')
  try {
    return JSON.parse(text) as KObj
  } catch (e) {
    return badRequest(`error decoding request body: only JSON (which is also YAML) is accepted by the twin: ${(e as Error).message}`)
  }
}

function stripForList(o: KObj): KObj {
  const { apiVersion: _a, kind: _k, ...rest } = o
  return rest
}

const fieldValidation = (req: TwinRequest, fallback: FieldValidation): FieldValidation => {
  const v = req.query.fieldValidation
  return v === 'Strict' || v === 'Warn' || v === 'Ignore' ? v : fallback
}

/** The manager name the server derives when the client sends none: the User-Agent up to its first `/`. */
const managerOf = (req: TwinRequest) => req.query.fieldManager || String(req.headers['user-agent'] ?? 'unknown').split('/')[0]

export function createKubeRouter(deps: KubeDeps): Router {
  const router = new Router()
  router.on(undefined, /^\/.*$/, (req) => handle(req, deps))
  return router
}

function handle(req: TwinRequest, deps: KubeDeps): TwinResponse {
  const cluster = deps.state.clusterByFqdn(req.host)
  if (!cluster) return { status: 404, body: `no twin cluster answers at ${req.host}\n` }
  const k = cluster.kube
  const p = req.path.replace(/\/+$/, '') || '/'
  if (p === '/version') return ok(200, versionInfo(cluster.kubernetesVersion))
  if (/^\/(healthz|livez|readyz)$/.test(p)) return { status: 200, body: 'ok', headers: { 'content-type': 'text/plain; charset=utf-8' } }
  const user = authenticate(req.headers.authorization, cluster, deps.state, deps.entra)
  if (!user) return err(unauthorized())
  req.note.tokenOid = user.oid ?? user.name

  if (p === '/api') return ok(200, apiVersions(`${cluster.fqdn}:443`))
  if (p === '/apis') return ok(200, apiGroupList())
  if (p === '/openapi/v3') return ok(200, openApiIndex(cluster.kubernetesVersion))
  let m: RegExpExecArray | null
  if ((m = /^\/openapi\/v3\/(api\/v1|apis\/[^/]+\/[^/]+)$/.exec(p))) {
    const segs = m[1].split('/')
    const doc =
      segs[0] === 'api' ? openApiDoc('', 'v1', cluster.kubernetesVersion) : openApiDoc(segs[1], segs[2], cluster.kubernetesVersion)
    return doc ? ok(200, doc) : err(statusError(404, 'NotFound', 'the server could not find the requested resource'))
  }
  if ((m = /^\/apis\/([^/]+)$/.exec(p))) {
    const g = apiGroup(m[1])
    return g ? ok(200, g) : err(statusError(404, 'NotFound', 'the server could not find the requested resource'))
  }
  if ((m = /^\/api\/(v1)$/.exec(p)) || (m = /^\/apis\/([^/]+\/[^/]+)$/.exec(p))) {
    const [g, v] = m[1].includes('/') ? m[1].split('/') : ['', m[1]]
    const list = resourceList(g, v)
    return list ? ok(200, list) : err(statusError(404, 'NotFound', 'the server could not find the requested resource'))
  }
  const t = parseTarget(p)
  if (!t || t === 'discovery') return err(statusError(404, 'NotFound', 'the server could not find the requested resource'))
  if (t.subresource && !t.r.subresources.includes(t.subresource))
    return err(statusError(404, 'NotFound', 'the server could not find the requested resource'))

  const watching = req.method === 'GET' && /^(1|true)$/.test(req.query.watch ?? '')
  let verb = VERB[req.method] ?? 'get'
  if (req.method === 'GET' && !t.name) verb = watching ? 'watch' : 'list'
  if (req.method === 'DELETE' && !t.name) verb = 'deletecollection'
  // RBAC grants attach as `create` on pods/attach, whether the client POSTs (SPDY) or GETs (WebSocket).
  if (t.subresource === 'attach') verb = 'create'
  const name = t.name
  const attrs: Attributes = {
    verb,
    group: t.r.group,
    resource: t.r.plural,
    subresource: t.subresource,
    namespace: t.namespace,
    name,
    clusterScoped: !t.r.namespaced
  }
  const denied = authorize(user, attrs, cluster, deps.state)
  if (denied) return err(denied)
  if (t.subresource === 'log' || t.subresource === 'attach') return podStream(req, k, t)

  try {
    switch (verb) {
      case 'get':
        return getOne(req, k, t)
      case 'list':
        return list(req, k, t)
      case 'watch':
        return watch(req, k, t)
      case 'create':
        return create(req, k, t, user)
      case 'update':
        return update(req, k, t)
      case 'patch':
        return patch(req, k, t, cluster)
      case 'delete':
        return del(req, k, t)
      case 'deletecollection':
        return deleteCollection(req, k, t)
    }
  } catch (e) {
    return err(statusError(500, 'InternalError', `Internal error occurred: ${(e as Error).message}`))
  }
  return err(statusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'))
}

/** What a pod's container writes: its log, or a live attach. */
function podStream(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  if (t.subresource === 'log' && req.method !== 'GET')
    return err(statusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'))
  const pod = k.store.get(t.r, t.namespace, t.name!)
  if (!pod) return err(notFound(t.r, t.name!))
  const out = t.subresource === 'log' ? podLog(req, k, pod) : podAttach(req, k, pod)
  return isErr(out) ? err(out) : out
}

function namespaceMissing(k: KubeCluster, t: Target): KubeError | undefined {
  if (!t.r.namespaced || !t.namespace) return undefined
  if (k.store.get(k.res('Namespace'), undefined, t.namespace)) return undefined
  return notFound(k.res('Namespace'), t.namespace)
}

function scaleOf(_r: ResourceDef, o: KObj): KObj {
  const sel = o.spec?.selector?.matchLabels ?? {}
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp
    },
    spec: { replicas: o.spec?.replicas ?? 0 },
    status: {
      replicas: o.status?.replicas ?? 0,
      selector: Object.entries(sel)
        .map(([a, b]) => `${a}=${b}`)
        .join(',')
    }
  }
}

function render(req: TwinRequest, r: ResourceDef, o: KObj, status = 200, headers: Record<string, string> = {}): TwinResponse {
  if (wantsTable(req.headers.accept)) return ok(status, toTable(r.kind, [o], o.metadata.resourceVersion, req.query.includeObject), headers)
  return ok(status, o, headers)
}

function getOne(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const o = k.store.get(t.r, t.namespace, t.name!)
  if (!o) return err(notFound(t.r, t.name!))
  if (t.subresource === 'scale') return ok(200, scaleOf(t.r, o))
  return render(req, t.r, o)
}

function matchers(req: TwinRequest): { label: Matcher; field: Matcher } | KubeError {
  const label = parseLabelSelector(req.query.labelSelector)
  if ('error' in label) return badRequest(label.error as string)
  const field = parseFieldSelector(req.query.fieldSelector)
  if ('error' in field) return badRequest(field.error as string)
  return { label: label as Matcher, field: field as Matcher }
}

function list(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const ms = matchers(req)
  if (isErr(ms)) return err(ms)
  const all = k.store.list(t.r, t.namespace).filter((o) => ms.label(o) && ms.field(o))
  const limit = Number(req.query.limit ?? 0)
  const start = req.query.continue ? Number(Buffer.from(req.query.continue, 'base64url').toString('utf8').split('|')[1] ?? 0) : 0
  const items = limit > 0 ? all.slice(start, start + limit) : all.slice(start)
  const rv = String(k.store.rv)
  const meta: KObj = { resourceVersion: rv }
  if (limit > 0 && start + limit < all.length) {
    meta.continue = Buffer.from(`${rv}|${start + limit}`).toString('base64url')
    meta.remainingItemCount = all.length - start - limit
  }
  if (wantsTable(req.headers.accept))
    return ok(200, toTable(t.r.kind, items, rv, req.query.includeObject, meta.continue ? { continue: meta.continue } : {}))
  return ok(200, { kind: `${t.r.kind}List`, apiVersion: groupVersion(t.r), metadata: meta, items: items.map(stripForList) })
}

function watch(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const ms = matchers(req)
  if (isErr(ms)) return err(ms)
  const table = wantsTable(req.headers.accept)
  const matches = (o: KObj | undefined) => !!o && (!t.namespace || o.metadata.namespace === t.namespace) && ms.label(o) && ms.field(o)
  const wrap = (o: KObj) => (table ? toTable(t.r.kind, [o], o.metadata.resourceVersion, req.query.includeObject) : o)
  const rvParam = req.query.resourceVersion
  const timeoutMs = req.query.timeoutSeconds ? Number(req.query.timeoutSeconds) * 1000 : k.knobs.watchTimeoutMs
  return {
    status: 200,
    headers: { ...JSON_CT, 'cache-control': 'no-cache, private' },
    stream: (res: ServerResponse) => {
      let closed = false
      const write = (type: string, object: unknown) => {
        if (!closed) res.write(JSON.stringify({ type, object }) + '\n')
      }
      const close = () => {
        if (closed) return
        closed = true
        off()
        k.watches.delete(close)
        clearTimeout(timer)
        res.end()
      }
      const onEvent = (e: StoreEvent) => {
        if (e.res !== t.r) return
        const now = matches(e.obj),
          before = matches(e.prev)
        if (e.type === 'ADDED' && now) write('ADDED', wrap(e.obj))
        else if (e.type === 'DELETED' && before) write('DELETED', wrap(e.obj))
        else if (e.type === 'MODIFIED') {
          if (now && before) write('MODIFIED', wrap(e.obj))
          else if (now) write('ADDED', wrap(e.obj))
          else if (before) write('DELETED', wrap(e.obj))
        }
      }
      let off: () => void = () => {}
      const timer = setTimeout(close, timeoutMs)
      timer.unref?.()
      k.watches.add(close)
      res.on('close', close)
      if (!rvParam || rvParam === '0') {
        for (const o of k.store.list(t.r, t.namespace)) if (matches(o)) write('ADDED', wrap(o))
      } else {
        const since = k.store.since(Number(rvParam), t.r)
        if (since === 'expired') {
          write('ERROR', expired(rvParam, k.store.compactedThrough + 1))
          close()
          return
        }
        for (const e of since) onEvent(e)
      }
      off = k.store.onChange(onEvent)
    }
  }
}

function checkNamespaceOfBody(t: Target, body: KObj): KubeError | undefined {
  if (!t.r.namespaced || !t.namespace) return undefined
  const ns = body.metadata?.namespace
  if (ns && ns !== t.namespace) return badRequest('the namespace of the provided object does not match the namespace sent on the request')
  return undefined
}

function checkKind(t: Target, body: KObj): KubeError | undefined {
  if (body.kind && body.kind !== t.r.kind)
    return badRequest(
      `${t.r.kind} in version "${t.r.version}" cannot be handled as a ${t.r.kind}: the object provided is unrecognized (must be of type ${t.r.kind}): ${body.kind}`
    )
  if (body.apiVersion && body.apiVersion !== groupVersion(t.r))
    return badRequest(`the API version in the data (${body.apiVersion}) does not match the expected API version (${groupVersion(t.r)})`)
  return undefined
}

function create(req: TwinRequest, k: KubeCluster, t: Target, _user: KubeUser): TwinResponse {
  const body = parseBody(req)
  if (isErr(body)) return err(body)
  const bad = checkKind(t, body) ?? checkNamespaceOfBody(t, body)
  if (bad) return err(bad)
  const nsMissing = namespaceMissing(k, t)
  if (nsMissing) return err(nsMissing)
  const decoded = decodeCheck(t.r, body, fieldValidation(req, 'Warn'))
  if (decoded.error) return err(decoded.error)
  body.metadata ??= {}
  if (t.namespace) body.metadata.namespace = t.namespace
  const invalid = validateObject(t.r, body)
  if (invalid) return err(invalid)
  if (body.metadata.name && k.store.get(t.r, t.namespace, body.metadata.name)) return err(alreadyExists(t.r, body.metadata.name))
  const dryRun = req.query.dryRun === 'All'
  const o = k.prepareCreate(t.r, structuredClone(body), { manager: managerOf(req) })
  if (dryRun) return ok(201, o, warningHeader(decoded.warnings))
  return ok(201, k.store.write(t.r, o), warningHeader(decoded.warnings))
}

/** Main-resource writes keep the stored status; status writes keep everything else. */
function scoped(t: Target, cur: KObj, next: KObj): KObj {
  if (t.subresource === 'status') return { ...structuredClone(cur), status: next.status }
  if (t.r.subresources.includes('status') && t.r.kind !== 'Namespace') return { ...next, status: cur.status }
  return next
}

function finishWrite(
  req: TwinRequest,
  k: KubeCluster,
  t: Target,
  cur: KObj,
  next: KObj,
  warnings: string[],
  manager?: string
): TwinResponse {
  const invalid = validateObject(t.r, next, cur)
  if (invalid) return err(invalid)
  const dryRun = req.query.dryRun === 'All'
  const saved = k.commit(t.r, next, cur, { manager: manager ?? managerOf(req), subresource: t.subresource, dryRun })
  return t.subresource === 'scale' ? ok(200, scaleOf(t.r, saved)) : ok(200, saved, warningHeader(warnings))
}

function update(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const body = parseBody(req)
  if (isErr(body)) return err(body)
  const cur = k.store.get(t.r, t.namespace, t.name!)
  if (!cur) return err(notFound(t.r, t.name!))
  if (t.subresource === 'scale') {
    const next = structuredClone(cur)
    next.spec.replicas = body.spec?.replicas ?? next.spec.replicas
    return finishWrite(req, k, t, cur, next, [])
  }
  const bad = checkKind(t, body) ?? checkNamespaceOfBody(t, body)
  if (bad) return err(bad)
  if (body.metadata?.name && body.metadata.name !== t.name)
    return err(badRequest('the name of the object (' + body.metadata.name + ') does not match the name on the URL (' + t.name + ')'))
  const rv = body.metadata?.resourceVersion
  if (rv && rv !== cur.metadata.resourceVersion) return err(conflictRv(t.r, t.name!))
  const decoded = decodeCheck(t.r, body, fieldValidation(req, 'Warn'))
  if (decoded.error) return err(decoded.error)
  const next = structuredClone(body)
  next.apiVersion = groupVersion(t.r)
  next.kind = t.r.kind
  next.metadata = {
    ...next.metadata,
    name: t.name,
    ...(t.r.namespaced ? { namespace: t.namespace } : {}),
    managedFields: cur.metadata.managedFields
  }
  applyDefaults(t.r.kind, next)
  return finishWrite(req, k, t, cur, scoped(t, cur, next), decoded.warnings)
}

function patch(req: TwinRequest, k: KubeCluster, t: Target, cluster: Cluster): TwinResponse {
  const ct = String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
  const body = parseBody(req)
  if (isErr(body)) return err(body)
  const cur = k.store.get(t.r, t.namespace, t.name!)
  const schema = KIND_SCHEMAS[t.r.kind]
  const dryRun = req.query.dryRun === 'All'
  if (ct === 'application/apply-patch+yaml') {
    if (!req.query.fieldManager) {
      return err(
        statusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch', {
          group: 'meta.k8s.io',
          kind: 'PatchOptions',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: is required for apply patch', field: 'fieldManager' }]
        })
      )
    }
    const bad = checkNamespaceOfBody(t, body)
    if (bad) return err(bad)
    if (!body.apiVersion || !body.kind)
      return err(badRequest(`error decoding patch: Object 'Kind' is missing in '${JSON.stringify(body)}'`))
    if (body.kind !== t.r.kind || body.apiVersion !== groupVersion(t.r)) {
      return err(
        badRequest(
          `the kind and apiVersion of the patch (${body.apiVersion}, Kind=${body.kind}) do not match the object's (${groupVersion(t.r)}, Kind=${t.r.kind})`
        )
      )
    }
    if (body.metadata?.name && body.metadata.name !== t.name)
      return err(badRequest(`the name of the object (${body.metadata.name}) does not match the name on the URL (${t.name})`))
    const ident = `${t.namespace ? t.namespace + '/' : ''}${t.name}`
    const decoded = decodeCheck(t.r, body, fieldValidation(req, 'Strict'), true, ident)
    if (decoded.error) return err(decoded.error)
    if (!cur) {
      const nsMissing = namespaceMissing(k, t)
      if (nsMissing) return err(nsMissing)
    }
    const cfg = structuredClone(body)
    cfg.metadata = { ...(cfg.metadata ?? {}), name: t.name }
    if (t.namespace) cfg.metadata.namespace = t.namespace
    delete cfg.status
    const applied = serverSideApply({
      live: cur,
      config: cfg,
      schema,
      manager: req.query.fieldManager,
      apiVersion: groupVersion(t.r),
      force: /^(1|true)$/.test(req.query.force ?? '')
    })
    if ('error' in applied) return err(applied.error)
    const next = applied.obj
    next.apiVersion = groupVersion(t.r)
    next.kind = t.r.kind
    if (!cur) {
      const invalid = validateObject(t.r, next)
      if (invalid) return err(invalid)
      const mf = next.metadata.managedFields
      const created = k.prepareCreate(t.r, next)
      created.metadata.managedFields = mf
      if (dryRun) return ok(201, created, warningHeader(decoded.warnings))
      return ok(201, k.store.write(t.r, created), warningHeader(decoded.warnings))
    }
    applyDefaults(t.r.kind, next)
    const invalid = validateObject(t.r, next, cur)
    if (invalid) return err(invalid)
    const saved = k.commit(t.r, scoped(t, cur, next), cur, { dryRun })
    return ok(200, saved, warningHeader(decoded.warnings))
  }
  if (req.query.force) {
    return err(
      statusError(422, 'Invalid', 'PatchOptions.meta.k8s.io "" is invalid: force: Forbidden: may not be specified for non-apply patch', {
        group: 'meta.k8s.io',
        kind: 'PatchOptions',
        causes: [{ reason: 'FieldValueForbidden', message: 'Forbidden: may not be specified for non-apply patch', field: 'force' }]
      })
    )
  }
  if (!cur) return err(notFound(t.r, t.name!))
  const base = t.subresource === 'scale' ? scaleOf(t.r, cur) : structuredClone(cur)
  let patched: KObj
  try {
    if (ct === 'application/merge-patch+json') patched = mergePatch(base, body)
    else if (ct === 'application/strategic-merge-patch+json')
      patched = strategicMergePatch(base, body, t.subresource === 'scale' ? undefined : schema)
    else if (ct === 'application/json-patch+json') patched = jsonPatch(base, body as unknown as Array<{ op: string; path: string }>)
    else
      return err(
        statusError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json`
        )
      )
  } catch (e) {
    return err(statusError(422, 'Invalid', (e as Error).message))
  }
  if (t.subresource === 'scale') {
    const next = structuredClone(cur)
    next.spec.replicas = patched.spec?.replicas
    return finishWrite(req, k, t, cur, next, [])
  }
  const decoded = decodeCheck(t.r, patched, fieldValidation(req, 'Warn'))
  if (decoded.error) return err(decoded.error)
  if (patched.metadata?.resourceVersion && patched.metadata.resourceVersion !== cur.metadata.resourceVersion)
    return err(conflictRv(t.r, t.name!))
  patched.metadata = { ...patched.metadata, name: cur.metadata.name, namespace: cur.metadata.namespace, uid: cur.metadata.uid }
  applyDefaults(t.r.kind, patched)
  void cluster
  return finishWrite(req, k, t, cur, scoped(t, cur, patched), decoded.warnings)
}

function deleteOptions(req: TwinRequest): { propagation?: string; gracePeriodSeconds?: number; dryRun: boolean } {
  let o: KObj = {}
  const text = req.body.toString('utf8').trim()
  if (text) {
    try {
      o = JSON.parse(text)
    } catch {
      /* options are optional */
    }
  }
  const grace = req.query.gracePeriodSeconds ?? o.gracePeriodSeconds
  return {
    propagation: req.query.propagationPolicy ?? o.propagationPolicy,
    gracePeriodSeconds: grace === undefined ? undefined : Number(grace),
    dryRun: req.query.dryRun === 'All' || (Array.isArray(o.dryRun) && o.dryRun.includes('All'))
  }
}

function del(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const cur = k.store.get(t.r, t.namespace, t.name!)
  if (!cur) return err(notFound(t.r, t.name!))
  const opts = deleteOptions(req)
  if (opts.dryRun) return ok(200, cur)
  if (t.r.kind === 'Namespace') return ok(200, deleteNamespace(k, cur))
  const gone = k.remove(t.r.kind, t.namespace, t.name!, opts)
  if (t.r.kind === 'Pod' && gone?.metadata.deletionTimestamp) return ok(200, gone)
  return ok(200, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: { name: t.name, ...(t.r.group ? { group: t.r.group } : {}), kind: t.r.plural, uid: cur.metadata.uid }
  })
}

/** A namespace turns Terminating, its content goes, then it goes. */
function deleteNamespace(k: KubeCluster, ns: KObj): KObj {
  const name = ns.metadata.name
  const next = structuredClone(ns)
  next.metadata.deletionTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
  next.status = { phase: 'Terminating' }
  const written = k.store.write(k.res('Namespace'), next)
  for (const r of RESOURCES) {
    if (!r.namespaced) continue
    for (const o of k.store.list(r, name)) k.remove(r.kind, name, o.metadata.name, { gracePeriodSeconds: 0 })
  }
  k.after(k.knobs.terminateMs, () => k.store.remove(k.res('Namespace'), undefined, name))
  return structuredClone(written)
}

function deleteCollection(req: TwinRequest, k: KubeCluster, t: Target): TwinResponse {
  const ms = matchers(req)
  if (isErr(ms)) return err(ms)
  const opts = deleteOptions(req)
  const victims = k.store.list(t.r, t.namespace).filter((o) => ms.label(o) && ms.field(o))
  if (!opts.dryRun) for (const o of victims) k.remove(t.r.kind, o.metadata.namespace, o.metadata.name, opts)
  return ok(200, {
    kind: `${t.r.kind}List`,
    apiVersion: groupVersion(t.r),
    metadata: { resourceVersion: String(k.store.rv) },
    items: victims.map(stripForList)
  })
}

export const isKubeHost = (host: string) => /\.azmk8s\.io$/i.test(host)
