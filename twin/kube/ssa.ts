/**
 * Server-side apply and managed fields (structured-merge-diff, reduced to
 * what clients see): per-manager field sets in `metadata.managedFields`
 * (FieldsV1), apply merging driven by the schema's list types, removal of
 * fields an applier stops sending, and conflicts worded as the API server
 * words them: `Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas`.
 */
import type { Schema } from './schema.ts'
import { child } from './schema.ts'
import type { KObj } from './store.ts'
import type { KubeError } from './status.ts'
import { statusError } from './status.ts'
import { canonical } from './objects.ts'

/** FieldsV1 as a tree: `{"f:spec":{"f:replicas":{}}}`; `.` marks a node owned as a whole. */
export type FieldTree = { [k: string]: FieldTree }
type Path = string[]
type J = any

export interface ManagedFieldsEntry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  fieldsType: 'FieldsV1'
  fieldsV1: FieldTree
  subresource?: string
}

const isObj = (v: unknown): v is Record<string, J> => typeof v === 'object' && v !== null && !Array.isArray(v)
/** Metadata the server owns: never in a field set. */
const SKIP_META = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds'
])
const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

function itemKey(item: J, s: Extract<Schema, { t: 'array' }>): string | undefined {
  if (s.listType === 'set') return `v:${JSON.stringify(item)}`
  if (s.listType !== 'map' || !s.keys || !isObj(item)) return undefined
  const k: Record<string, J> = {}
  for (const name of [...s.keys].sort()) {
    // Defaulted key fields (protocol) count as set, as the real schema's defaults make them.
    k[name] = item[name] ?? (name === 'protocol' ? 'TCP' : undefined)
  }
  return `k:${JSON.stringify(k)}`
}

export function fieldsOf(v: J, s: Schema | undefined, top = true): FieldTree {
  const out: FieldTree = {}
  if (!isObj(v)) return out
  for (const [k, x] of Object.entries(v)) {
    if (top && (k === 'apiVersion' || k === 'kind')) continue
    if (x === undefined) continue
    const cs = child(s, k)
    if (top && k === 'metadata' && isObj(x)) {
      const meta: FieldTree = {}
      for (const [mk, mx] of Object.entries(x)) {
        if (SKIP_META.has(mk) || mx === undefined) continue
        meta[`f:${mk}`] = node(mx, child(cs, mk))
      }
      if (Object.keys(meta).length) out['f:metadata'] = meta
      continue
    }
    out[`f:${k}`] = node(x, cs)
  }
  return out
}

function node(x: J, s: Schema | undefined): FieldTree {
  if (!s || s.t === 'any') return {}
  if (s.t === 'map' && isObj(x)) {
    const t: FieldTree = { '.': {} }
    for (const [k, v] of Object.entries(x)) t[`f:${k}`] = node(v, s.value)
    return t
  }
  if (s.t === 'object' && isObj(x)) return Object.keys(x).length ? fieldsOf(x, s, false) : {}
  if (s.t === 'array' && Array.isArray(x) && s.listType !== 'atomic') {
    const t: FieldTree = {}
    for (const item of x) {
      const k = itemKey(item, s)
      if (!k) return {}
      t[k] = s.listType === 'set' ? {} : { '.': {}, ...(isObj(item) ? fieldsOf(item, s.items, false) : {}) }
    }
    return t
  }
  return {}
}

/** Every owned path: leaves and `.`-marked nodes. */
export function members(t: FieldTree, prefix: Path = []): Path[] {
  const out: Path[] = []
  for (const [k, sub] of Object.entries(t)) {
    if (k === '.') {
      out.push(prefix)
      continue
    }
    const p = [...prefix, k]
    if (!Object.keys(sub).length) out.push(p)
    else out.push(...members(sub, p))
  }
  return out
}

export function fromMembers(paths: Path[]): FieldTree {
  const root: FieldTree = {}
  const nodes: FieldTree[] = []
  for (const p of paths) {
    let n = root
    for (const e of p) n = n[e] ??= {}
    nodes.push(n)
  }
  // A member that also has owned children is marked `.`; a bare leaf stays `{}`.
  for (const n of nodes) if (Object.keys(n).some((k) => k !== '.')) n['.'] = {}
  return root
}

const pathKey = (p: Path) => p.join('\u0000')

function matchesKey(item: J, e: string): boolean {
  if (e.startsWith('v:')) return JSON.stringify(item) === e.slice(2)
  if (!isObj(item)) return false
  const k = JSON.parse(e.slice(2)) as Record<string, J>
  return Object.entries(k).every(([n, v]) => (item[n] ?? (n === 'protocol' ? 'TCP' : undefined)) === v)
}

export function valueAt(o: J, p: Path): J {
  let x = o
  for (const e of p) {
    if (x === undefined || x === null) return undefined
    if (e.startsWith('f:')) x = x[e.slice(2)]
    else if (Array.isArray(x)) x = x.find((it) => matchesKey(it, e))
    else return undefined
  }
  return x
}

function removeAt(o: J, p: Path) {
  let x = o
  for (const e of p.slice(0, -1)) {
    if (x == null) return
    x = e.startsWith('f:') ? x[e.slice(2)] : Array.isArray(x) ? x.find((it: J) => matchesKey(it, e)) : undefined
  }
  const last = p.at(-1)!
  if (x == null) return
  if (last.startsWith('f:')) delete x[last.slice(2)]
  else if (Array.isArray(x)) {
    const i = x.findIndex((it) => matchesKey(it, last))
    if (i >= 0) x.splice(i, 1)
  }
}

/** `.spec.template.spec.containers[name="nginx"].image`, as conflict messages print paths. */
export function printPath(p: Path): string {
  return p
    .filter((e) => e !== '.')
    .map((e) => {
      if (e.startsWith('f:')) return `.${e.slice(2)}`
      if (e.startsWith('v:')) return `[=${e.slice(2)}]`
      const k = JSON.parse(e.slice(2)) as Record<string, J>
      return `[${Object.entries(k)
        .map(([n, v]) => `${n}=${JSON.stringify(v)}`)
        .join(',')}]`
    })
    .join('')
}

/** Apply merge: objects and maps recurse, keyed lists merge by key, sets union, the rest is replaced. */
export function applyMerge(live: J, cfg: J, s: Schema | undefined): J {
  if (!isObj(cfg) || !s || s.t === 'any') return structuredClone(cfg)
  if (s.t === 'array') return structuredClone(cfg)
  const out: Record<string, J> = isObj(live) ? { ...live } : {}
  for (const [k, v] of Object.entries(cfg)) {
    const cs = child(s, k)
    if (Array.isArray(v) && cs?.t === 'array' && cs.listType !== 'atomic') {
      const cur: J[] = Array.isArray(out[k]) ? out[k] : []
      const merged: J[] = []
      for (const item of v) {
        const key = itemKey(item, cs)
        const existing = key ? cur.find((c) => matchesKey(c, key)) : undefined
        merged.push(cs.listType === 'map' ? applyMerge(existing, item, cs.items) : item)
      }
      for (const c of cur) {
        const key = itemKey(c, cs)
        if (key && !v.some((item: J) => itemKey(item, cs) === key)) merged.push(c)
      }
      out[k] = merged
    } else if (isObj(v) && cs && (cs.t === 'object' || cs.t === 'map')) {
      out[k] = applyMerge(out[k], v, cs)
    } else out[k] = structuredClone(v)
  }
  return out
}

const managerId = (e: ManagedFieldsEntry) =>
  `"${e.manager}"${e.subresource ? ` with subresource "${e.subresource}"` : ''}${e.operation === 'Update' ? ` using ${e.apiVersion}` : ''}`

export interface Conflict {
  entry: ManagedFieldsEntry
  path: Path
}

export function conflictError(conflicts: Conflict[]): KubeError {
  const causes = conflicts.map((c) => ({
    type: 'FieldManagerConflict',
    message: `conflict with ${managerId(c.entry)}`,
    field: printPath(c.path)
  }))
  let message: string
  if (conflicts.length === 1) {
    message = `Apply failed with 1 conflict: conflict with ${managerId(conflicts[0].entry)}: ${printPath(conflicts[0].path)}`
  } else {
    const by = new Map<string, Path[]>()
    for (const c of conflicts) by.set(managerId(c.entry), [...(by.get(managerId(c.entry)) ?? []), c.path])
    const lines: string[] = []
    for (const m of [...by.keys()].sort()) {
      lines.push(`conflicts with ${m}:`)
      for (const p of by.get(m)!) lines.push(`- ${printPath(p)}`)
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`
  }
  return statusError(409, 'Conflict', message, { causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field })) })
}

export interface ApplyInput {
  live: KObj | undefined
  config: KObj
  schema: Schema
  manager: string
  apiVersion: string
  force: boolean
}

/** Server-side apply: the merged object (managedFields set), or the 409 conflict. */
export function serverSideApply(i: ApplyInput): { obj: KObj } | { error: KubeError } {
  const entries: ManagedFieldsEntry[] = structuredClone(i.live?.metadata?.managedFields ?? [])
  const mine = entries.find((e) => e.manager === i.manager && e.operation === 'Apply' && !e.subresource)
  const newSet = fieldsOf(i.config, i.schema)
  const newMembers = members(newSet)
  const newKeys = new Set(newMembers.map(pathKey))
  const conflicts: Conflict[] = []
  if (i.live) {
    for (const e of entries) {
      if (e === mine) continue
      for (const p of members(e.fieldsV1)) {
        if (!newKeys.has(pathKey(p)) || p.at(-1) === '.') continue
        const a = valueAt(i.live, p),
          b = valueAt(i.config, p)
        if (isObj(a) || isObj(b)) continue
        if (canonical(a) !== canonical(b)) conflicts.push({ entry: e, path: p })
      }
    }
  }
  if (conflicts.length && !i.force) return { error: conflictError(conflicts) }
  let obj = applyMerge(i.live ? stripServerMeta(i.live) : {}, i.config, i.schema)
  // Fields this manager applied before and dropped now go, unless someone else owns them too.
  if (mine) {
    const others = new Set(
      entries
        .filter((e) => e !== mine)
        .flatMap((e) => members(e.fieldsV1))
        .map(pathKey)
    )
    for (const p of members(mine.fieldsV1)) {
      const k = pathKey(p)
      if (!newKeys.has(k) && !others.has(k) && p.at(-1) !== '.') removeAt(obj, p)
    }
  }
  let next = entries.map((e) => {
    if (e === mine) return e
    const kept = members(e.fieldsV1).filter((p) => !(i.force && newKeys.has(pathKey(p))))
    return { ...e, fieldsV1: fromMembers(kept) }
  })
  next = next.filter((e) => e === mine || Object.keys(e.fieldsV1).length)
  const entry: ManagedFieldsEntry = {
    manager: i.manager,
    operation: 'Apply',
    apiVersion: i.apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: newSet
  }
  if (mine) next[next.indexOf(mine)] = entry
  else next.push(entry)
  obj = { ...obj, metadata: { ...obj.metadata, managedFields: next } }
  return { obj }
}

function stripServerMeta(o: KObj): KObj {
  const c = structuredClone(o)
  delete c.metadata.managedFields
  return c
}

/**
 * An Update (create, PUT, non-apply PATCH, a controller's write): the manager
 * takes the fields whose value it changed; fields it removed leave every set.
 */
export function trackUpdate(
  old: KObj | undefined,
  next: KObj,
  schema: Schema,
  manager: string,
  apiVersion: string,
  subresource?: string
): ManagedFieldsEntry[] {
  const entries: ManagedFieldsEntry[] = structuredClone(old?.metadata?.managedFields ?? [])
  const scope = (p: Path) => (subresource === 'status' ? p[0] === 'f:status' : p[0] !== 'f:status')
  const after = members(fieldsOf(next, schema)).filter(scope)
  const beforeSet = old ? members(fieldsOf(old, schema)).filter(scope) : []
  const afterKeys = new Set(after.map(pathKey))
  const removed = new Set(beforeSet.filter((p) => !afterKeys.has(pathKey(p))).map(pathKey))
  const changed = after.filter(
    (p) =>
      !old || canonical(valueAt(old, p)) !== canonical(valueAt(next, p)) || (p.at(-1) === '.' && valueAt(old, p.slice(0, -1)) === undefined)
  )
  const changedKeys = new Set(changed.map(pathKey))
  const isMine = (e: ManagedFieldsEntry) =>
    e.manager === manager && e.operation === 'Update' && (e.subresource ?? '') === (subresource ?? '')
  let mine = entries.find(isMine)
  const out: ManagedFieldsEntry[] = []
  for (const e of entries) {
    const kept = members(e.fieldsV1).filter((p) => !removed.has(pathKey(p)) && (isMine(e) || !changedKeys.has(pathKey(p))))
    if (isMine(e)) continue
    if (kept.length) out.push({ ...e, fieldsV1: fromMembers(kept) })
  }
  if (!changed.length && !mine) return out
  const mineMembers = mine ? members(mine.fieldsV1).filter((p) => !removed.has(pathKey(p))) : []
  const all = new Map(mineMembers.map((p) => [pathKey(p), p]))
  for (const p of changed) all.set(pathKey(p), p)
  if (!all.size) return out
  mine = {
    manager,
    operation: 'Update',
    apiVersion,
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: fromMembers([...all.values()]),
    ...(subresource ? { subresource } : {})
  }
  const idx = entries.findIndex(isMine)
  if (idx >= 0) out.splice(Math.min(idx, out.length), 0, mine)
  else out.push(mine)
  return out
}
