// What the twin's request log says about one run of the action: when its first request arrived
// after the process was spawned (start-up cost), how each kind of traffic was spread over the run,
// how many requests overlapped, and which requests were sent more than once.
import type { RequestRecord } from '../twin/index.ts'

export interface Span {
  /** What kind of traffic: sign-in, ARM, import, registry, kube... */
  kind: string
  count: number
  /** ms after the step was spawned */
  firstStart: number
  lastEnd: number
  /** Most requests of this kind in flight at one moment. */
  maxInFlight: number
  /** Median time the twin took to answer one (its injected latency included). */
  medianMs: number
}

export interface Timeline {
  requests: number
  /** Watch streams the step opened (logged when their headers went out; open until the step ended). */
  watches: number
  /** Spawn of `node dist/index.js` to the first request the twin saw: node start, bundle load, settings. */
  startupMs: number
  /** The last response (watch streams aside) to the exit of the process. */
  tailMs: number
  spans: Span[]
  /** The same method + host + path more than twice (e.g. one source manifest read per target). */
  repeated: Array<{ request: string; times: number }>
  /** The longest stretches with no request in flight, ms after spawn. */
  idle: Array<{ from: number; ms: number }>
}

export const isWatch = (r: Pick<RequestRecord, 'query'>) => r.query?.watch === '1' || r.query?.watch === 'true'

/** Groups a request into the kind of work it is part of. */
export function kindOf(r: Pick<RequestRecord, 'method' | 'host' | 'path' | 'query'>): string {
  const { host, path, method } = r
  if (host.endsWith('.azmk8s.io')) {
    if (isWatch(r)) return 'kube: watches'
    if (method === 'GET' && /\/(pods|events|deployments|replicasets|statefulsets|daemonsets|jobs)$/.test(path)) return 'kube: lists'
    if (method === 'PATCH') return 'kube: apply'
    return 'kube: other'
  }
  if (host !== '127.0.0.1' && host !== 'localhost') return host.endsWith('.azurecr.io') ? 'registry: target ACR' : 'registry: source'
  if (path.startsWith('/github/')) return 'sign-in'
  if (/\/oauth2\/|\/\.well-known\//.test(path)) return 'sign-in'
  if (/\/importImage$/i.test(path)) return 'arm: importImage POST'
  if (/\/operationResults\//i.test(path)) return 'arm: import polls'
  if (/listClusterUserCredential|listClusterAdminCredential/i.test(path)) return 'arm: kubeconfig'
  if (/^\/v1\.0\//.test(path)) return 'graph'
  return 'arm: reads/writes'
}

const endOf = (r: RequestRecord) => Date.parse(r.time) + r.durationMs

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function maxOverlap(records: RequestRecord[]): number {
  const edges: Array<[number, number]> = []
  for (const r of records) edges.push([Date.parse(r.time), 1], [endOf(r), -1])
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1])
  let now = 0
  let max = 0
  for (const [, d] of edges) max = Math.max(max, (now += d))
  return max
}

/**
 * `spawnedAt`/`exitedAt`: epoch ms of the step's spawn and exit. Watches count from their start
 * only (the twin logs a stream when its headers go out), so they never hide idle time.
 */
export function timelineOf(records: RequestRecord[], spawnedAt: number, exitedAt: number): Timeline {
  const sorted = [...records].sort((a, b) => Date.parse(a.time) - Date.parse(b.time))
  const byKind = new Map<string, RequestRecord[]>()
  for (const r of sorted) {
    const kind = kindOf(r)
    if (!byKind.has(kind)) byKind.set(kind, [])
    byKind.get(kind)!.push(r)
  }
  const spans: Span[] = [...byKind.entries()].map(([kind, rs]) => ({
    kind,
    count: rs.length,
    firstStart: Date.parse(rs[0]!.time) - spawnedAt,
    lastEnd: Math.max(...rs.map(endOf)) - spawnedAt,
    maxInFlight: maxOverlap(rs),
    medianMs: median(rs.map((r) => r.durationMs))
  }))
  spans.sort((a, b) => a.firstStart - b.firstStart)

  const counts = new Map<string, number>()
  for (const r of sorted) {
    const key = `${r.method} ${r.host} ${r.path}`
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  const repeated = [...counts.entries()]
    .filter(([key, times]) => times > 2 && !/operationResults|\/importImage$/.test(key))
    .map(([request, times]) => ({ request, times }))
    .sort((a, b) => b.times - a.times)
    .slice(0, 5)

  // Idle stretches between the spawn and the exit: nothing in flight at the twin. An open watch
  // counts as in flight (the step is waiting on the cluster, not on itself).
  const idle: Array<{ from: number; ms: number }> = []
  let busyUntil = spawnedAt
  for (const r of sorted) {
    const start = Date.parse(r.time)
    if (start > busyUntil) idle.push({ from: busyUntil - spawnedAt, ms: start - busyUntil })
    busyUntil = Math.max(busyUntil, isWatch(r) ? exitedAt : endOf(r))
  }
  if (exitedAt > busyUntil) idle.push({ from: busyUntil - spawnedAt, ms: exitedAt - busyUntil })
  idle.sort((a, b) => b.ms - a.ms)

  const first = sorted[0] ? Date.parse(sorted[0].time) : exitedAt
  const plain = sorted.filter((r) => !isWatch(r))
  const lastEnd = plain.length ? Math.max(...plain.map(endOf)) : spawnedAt
  return {
    requests: sorted.length,
    watches: sorted.length - plain.length,
    startupMs: first - spawnedAt,
    tailMs: Math.max(0, exitedAt - lastEnd),
    spans,
    repeated,
    idle: idle.slice(0, 4)
  }
}

export function describeTimeline(t: Timeline): string[] {
  const ms = (n: number) => `${Math.round(n)}`.padStart(5)
  const lines = [
    `${t.requests} requests${t.watches ? ` (${t.watches} watches)` : ''}; spawn → first request ${Math.round(t.startupMs)} ms; last response${t.watches ? ' (watches aside)' : ''} → exit ${Math.round(t.tailMs)} ms`,
    `  ${'kind'.padEnd(24)} ${'count'.padStart(5)} ${'from'.padStart(5)} ${'to'.padStart(5)} ms  ${'each (median)'.padStart(13)}  in flight (max)`
  ]
  for (const s of t.spans) {
    lines.push(
      `  ${s.kind.padEnd(24)} ${String(s.count).padStart(5)} ${ms(s.firstStart)} ${ms(s.lastEnd)}     ${`${Math.round(s.medianMs)} ms`.padStart(13)}  ${s.maxInFlight}`
    )
  }
  if (t.idle.length)
    lines.push(`  longest idle stretches: ${t.idle.map((i) => `${Math.round(i.ms)} ms at +${Math.round(i.from)}`).join(', ')}`)
  for (const r of t.repeated) lines.push(`  repeated: ${r.times}× ${r.request}`)
  return lines
}
