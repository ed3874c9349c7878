/** Small helpers shared by the API handlers and the controllers. */
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import type { KObj } from './store.ts'

export const nowIso = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z')
export const uid = () => randomUUID()

/** The alphabet of generated names (no vowels, no look-alikes): `nginx-7c5ddbdf54-x2kq9`. */
const ALPHANUM = 'bcdfghjklmnpqrstvwxz2456789'
export function randSuffix(n = 5): string {
  const b = randomBytes(n)
  return [...b].map((x) => ALPHANUM[x % ALPHANUM.length]).join('')
}

/** A pod-template-hash-like string from content: stable for the same template, as the real FNV hash is. */
export function templateHash(template: unknown, collisionCount = 0): string {
  const h = createHash('sha256')
    .update(canonical(template ?? {}) + String(collisionCount))
    .digest()
  return [...h.subarray(0, 10)].map((x) => ALPHANUM[x % ALPHANUM.length]).join('')
}

export const ownerRef = (o: KObj, controller = true) => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  uid: o.metadata.uid,
  controller,
  blockOwnerDeletion: true
})

export const isOwnedBy = (o: KObj, owner: KObj) =>
  (o.metadata?.ownerReferences ?? []).some((r: KObj) => r.uid === owner.metadata.uid && r.controller)

/** Resolves an int-or-percent against a total: maxSurge rounds up, maxUnavailable down. */
export function intOrPercent(v: unknown, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string' && v.endsWith('%')) {
    const x = (Number(v.slice(0, -1)) * total) / 100
    return roundUp ? Math.ceil(x) : Math.floor(x)
  }
  const n = Number(v)
  return Number.isFinite(n) ? n : 0
}

/** JSON with sorted keys: object equality that ignores key order, as Go's semantic equality does. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`
  }
  return JSON.stringify(v) ?? 'null'
}

export const deepEqual = (a: unknown, b: unknown) => canonical(a) === canonical(b)

export const isPodReady = (p: KObj) => (p.status?.conditions ?? []).some((c: KObj) => c.type === 'Ready' && c.status === 'True')
export const isTerminating = (p: KObj) => !!p.metadata?.deletionTimestamp
/** Ready for at least minReadySeconds, as controllers count "available". */
export function isPodAvailable(p: KObj, minReadySeconds = 0, now = Date.now()): boolean {
  const c = (p.status?.conditions ?? []).find((x: KObj) => x.type === 'Ready' && x.status === 'True')
  if (!c) return false
  return minReadySeconds <= 0 || now - Date.parse(c.lastTransitionTime) >= minReadySeconds * 1000
}

/** Sets a condition, keeping lastTransitionTime when the status did not change. */
export function setCondition(conds: KObj[], c: KObj, updateTime = true): KObj[] {
  const i = conds.findIndex((x) => x.type === c.type)
  const now = nowIso()
  const prev = i >= 0 ? conds[i] : undefined
  const next = {
    ...c,
    ...(updateTime ? { lastUpdateTime: c.lastUpdateTime ?? now } : {}),
    lastTransitionTime: prev && prev.status === c.status ? prev.lastTransitionTime : now
  }
  if (!updateTime) delete next.lastUpdateTime
  const out = [...conds]
  if (i >= 0) out[i] = next
  else out.push(next)
  return out
}
