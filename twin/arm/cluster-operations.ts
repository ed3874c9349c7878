/**
 * Long-running operations on managed clusters, kept per twin: one at a time per cluster, each
 * running `state.clusterOperationMs` from its start (AKS takes minutes for an update). Read by
 * the cluster GET (provisioningState) and answered by cluster-update.ts.
 */
import { randomUUID } from 'node:crypto'
import type { Cluster, TwinState } from '../state.ts'

export interface ClusterOperation {
  id: string
  clusterId: string
  subscriptionId: string
  /** What the cluster reads while it runs: `Updating` for a PUT of an existing cluster. */
  provisioningState: 'Updating'
  startedAt: number
  endsAt: number
}

const operations = new WeakMap<TwinState, Map<string, ClusterOperation>>()
const opsOf = (state: TwinState) => {
  let m = operations.get(state)
  if (!m) operations.set(state, (m = new Map()))
  return m
}

export const isDone = (op: ClusterOperation, now = Date.now()) => now >= op.endsAt

export function startClusterOperation(state: TwinState, cluster: Cluster): ClusterOperation {
  const startedAt = Date.now()
  const op: ClusterOperation = {
    id: randomUUID(),
    clusterId: cluster.id,
    subscriptionId: cluster.subscriptionId,
    provisioningState: 'Updating',
    startedAt,
    endsAt: startedAt + state.clusterOperationMs
  }
  opsOf(state).set(op.id, op)
  return op
}

export const clusterOperation = (state: TwinState, id: string) => opsOf(state).get(id.toLowerCase())

/** The operation still running on the cluster, if any. */
export function runningOperation(state: TwinState, cluster: Cluster): ClusterOperation | undefined {
  for (const op of opsOf(state).values()) {
    if (op.clusterId.toLowerCase() === cluster.id.toLowerCase() && !isDone(op)) return op
  }
  return undefined
}

export const provisioningStateOf = (state: TwinState, cluster: Cluster) =>
  runningOperation(state, cluster)?.provisioningState ?? 'Succeeded'
