// What a run asked of Azure, read from the twin's request log: how many requests, how many of
// them change something, how many write the cluster resource itself, and the longest chain of
// requests each of which had to wait for the one before (the run's critical path in round trips).
import type { RequestRecord } from '../twin/index.ts'

export interface RequestMetrics {
  requests: number
  /** PUT, PATCH, DELETE, and the POST that starts an import: each changes (or tries to change) state. */
  mutating: number
  /** Writes of the managed cluster resource (the Azure CLI's full PUT). */
  clusterWrites: number
  longestChain: number
  /** `METHOD what status` of every mutating request, in order. */
  writes: string[]
}

const WRITE_METHODS = new Set(['PUT', 'PATCH', 'DELETE'])
const CLUSTER = /\/providers\/Microsoft\.ContainerService\/managedClusters\/[^/]+$/i

export const isMutating = (r: Pick<RequestRecord, 'method' | 'path'>) =>
  WRITE_METHODS.has(r.method) || (r.method === 'POST' && /\/importImage$/i.test(r.path))

export const isClusterWrite = (r: Pick<RequestRecord, 'method' | 'path'>) => WRITE_METHODS.has(r.method) && CLUSTER.test(r.path)

const startOf = (r: RequestRecord) => Date.parse(r.time)
const endOf = (r: RequestRecord) => startOf(r) + r.durationMs

/**
 * The most requests in a row where each began only after the previous one had ended: for a tool
 * that sends one request at a time it is every request; concurrency shortens it.
 */
export function longestChain(records: RequestRecord[]): number {
  const sorted = [...records].sort((a, b) => startOf(a) - startOf(b))
  const chain: number[] = []
  let best = 0
  sorted.forEach((r, i) => {
    let before = 0
    for (let j = 0; j < i; j++) if (endOf(sorted[j]!) <= startOf(r)) before = Math.max(before, chain[j]!)
    chain[i] = before + 1
    best = Math.max(best, chain[i]!)
  })
  return best
}

function what(r: RequestRecord): string {
  if (/\/roleAssignments\//i.test(r.path)) return 'roleAssignment'
  if (CLUSTER.test(r.path)) return 'managedCluster'
  if (/\/importImage$/i.test(r.path)) return 'importImage'
  return r.path.split('/').at(-1) ?? r.path
}

export function metricsOf(records: RequestRecord[]): RequestMetrics {
  const writes = records.filter(isMutating).sort((a, b) => startOf(a) - startOf(b))
  return {
    requests: records.length,
    mutating: writes.length,
    clusterWrites: records.filter(isClusterWrite).length,
    longestChain: longestChain(records),
    writes: writes.map((r) => `${r.method} ${what(r)} ${r.status}`)
  }
}

/** Requests the twin logged from index `since` on that started inside [from, to] (epoch ms). */
export const requestsBetween = (requests: RequestRecord[], since: number, from: number, to: number) =>
  requests.slice(since).filter((r) => startOf(r) >= from && startOf(r) <= to)
