/**
 * The three non-apply patch types: JSON merge patch (RFC 7386), strategic
 * merge patch (what `kubectl apply` client-side, `rollout undo`,
 * `rollout restart` and `scale` send) and JSON patch (RFC 6902). Strategic
 * merge uses the schema's merge keys and honours the directives kubectl
 * emits: `$patch`, `$retainKeys`, `$setElementOrder/<f>`, `$deleteFromPrimitiveList/<f>`.
 */
import type { Schema } from './schema.ts'
import { child } from './schema.ts'

type J = any
const isObj = (v: unknown): v is Record<string, J> => typeof v === 'object' && v !== null && !Array.isArray(v)

export function mergePatch(target: J, patch: J): J {
  if (!isObj(patch)) return structuredClone(patch)
  const out: Record<string, J> = isObj(target) ? { ...target } : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

export function strategicMergePatch(target: J, patch: J, schema: Schema | undefined): J {
  if (!isObj(patch)) return structuredClone(patch)
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch
    return strategicMergePatch({}, rest, schema)
  }
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, J> = isObj(target) ? { ...target } : {}
  const orders: Record<string, J[]> = {}
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$retainKeys' || k === '$patch') continue
    if (k.startsWith('$setElementOrder/')) {
      orders[k.slice(17)] = v as J[]
      continue
    }
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const f = k.slice(25)
      if (Array.isArray(out[f])) out[f] = out[f].filter((x: J) => !(v as J[]).includes(x))
      continue
    }
    const s = child(schema, k)
    if (v === null) {
      delete out[k]
      continue
    }
    if (Array.isArray(v) && s && s.t === 'array') out[k] = mergeList(out[k], v, s)
    else if (isObj(v)) {
      const merged = strategicMergePatch(out[k], v, s && s.t !== 'any' ? s : undefined)
      if (merged === undefined) delete out[k]
      else out[k] = merged
    } else out[k] = structuredClone(v)
  }
  for (const [f, order] of Object.entries(orders)) {
    const s = child(schema, f)
    if (Array.isArray(out[f]) && s?.t === 'array') out[f] = reorder(out[f], order, s)
  }
  if (Array.isArray(patch.$retainKeys)) {
    for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k]
  }
  return out
}

const keyMatch = (a: J, b: J, key: string) => isObj(a) && isObj(b) && a[key] === b[key]

function mergeList(target: J, patch: J[], s: Extract<Schema, { t: 'array' }>): J[] {
  const cur: J[] = Array.isArray(target) ? [...target] : []
  if (s.listType === 'set') {
    const out = [...cur]
    for (const v of patch) if (!out.includes(v)) out.push(v)
    return out
  }
  if (s.listType !== 'map' || !s.smpKey) return structuredClone(patch)
  const key = s.smpKey
  if (patch.some((p) => isObj(p) && p.$patch === 'replace')) {
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace')).map((p) => structuredClone(p))
  }
  const out = cur
  for (const p of patch) {
    const i = out.findIndex((x) => keyMatch(x, p, key))
    if (isObj(p) && p.$patch === 'delete') {
      if (i >= 0) out.splice(i, 1)
      continue
    }
    if (i >= 0) out[i] = strategicMergePatch(out[i], p, s.items)
    else out.push(strategicMergePatch({}, p, s.items))
  }
  return out
}

function reorder(list: J[], order: J[], s: Extract<Schema, { t: 'array' }>): J[] {
  const key = s.smpKey
  const idx = (x: J) => order.findIndex((o) => (key ? keyMatch(o, x, key) : o === x))
  const listed = list.filter((x) => idx(x) >= 0).sort((a, b) => idx(a) - idx(b))
  return [...listed, ...list.filter((x) => idx(x) < 0)]
}

/** RFC 6902, enough for `kubectl patch --type json`. */
export function jsonPatch(target: J, ops: Array<{ op: string; path: string; value?: J; from?: string }>): J {
  let doc = structuredClone(target)
  const parse = (p: string) =>
    p
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
  const parentOf = (path: string[]) => path.slice(0, -1).reduce((x, k) => (x == null ? x : x[k]), doc)
  for (const o of ops) {
    const path = parse(o.path)
    const last = path.at(-1)!
    if (o.op === 'test') {
      const cur = path.reduce((x: J, k) => (x == null ? x : x[k]), doc)
      if (JSON.stringify(cur) !== JSON.stringify(o.value)) throw new Error(`the server rejected our request due to an error in our request`)
      continue
    }
    let value = o.value
    if (o.op === 'move' || o.op === 'copy') {
      const from = parse(o.from ?? '')
      value = structuredClone(from.reduce((x: J, k) => (x == null ? x : x[k]), doc))
      if (o.op === 'move') {
        const fp = from.slice(0, -1).reduce((x: J, k) => x?.[k], doc)
        if (Array.isArray(fp)) fp.splice(Number(from.at(-1)), 1)
        else if (fp) delete fp[from.at(-1)!]
      }
    }
    if (!path.length) {
      doc = value
      continue
    }
    const parent = parentOf(path)
    if (parent == null) throw new Error(`doc is missing path: "${o.path}"`)
    if (o.op === 'remove') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1)
      else delete parent[last]
    } else if (Array.isArray(parent) && (o.op === 'add' || o.op === 'move' || o.op === 'copy')) {
      parent.splice(last === '-' ? parent.length : Number(last), 0, value)
    } else parent[last] = value
  }
  return doc
}
