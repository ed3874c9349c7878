import type { RunRecord } from './run-record.js'

export interface DeployedWorkload {
  kind: string
  namespace: string
  name: string
  ready: boolean
  replicas: { ready: number; desired: number }
}

/** Pure: every workload the run applied and verified, with its replica counts. */
export function deployedWorkloads(record: RunRecord): DeployedWorkload[] {
  const deploy = record.deploy
  if (!deploy) return []
  return deploy.workloads.map((state) => ({
    kind: state.workload.kind,
    namespace: state.workload.namespace,
    name: state.workload.name,
    ready: state.readiness?.state === 'ready',
    replicas: { ready: state.readiness?.ready ?? 0, desired: state.readiness?.desired ?? 0 }
  }))
}

/** `ready` is true only when a deploy ran, was not a dry run, and every workload rolled out. */
export function deployReady(record: RunRecord): boolean {
  const deploy = record.deploy
  if (!deploy || record.settings?.dryRun) return false
  return deploy.verdict === undefined ? deploy.applied.length > 0 && !record.error : deploy.verdict.outcome === 'ready'
}
