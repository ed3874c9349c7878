/** The workload kinds whose rollout is verified; everything else is applied and not waited on. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job'] as const
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number]

export function isWorkload(kind: string): kind is WorkloadKind {
  return (WORKLOAD_KINDS as readonly string[]).includes(kind)
}

export interface Readiness {
  state: 'progressing' | 'ready' | 'failed'
  message: string
  ready: number
  desired: number
}

type Obj = { metadata?: { name?: string; generation?: number }; spec?: Record<string, unknown>; status?: Record<string, unknown> }
const num = (value: unknown, fallback = 0) => (typeof value === 'number' ? value : fallback)

/**
 * Pure: whether a workload has rolled out, by the rules `kubectl rollout status` applies (docs/kubernetes.md);
 * Jobs by their Complete/Failed conditions, as `kubectl wait --for=condition=complete` does.
 */
export function readinessOf(kind: WorkloadKind, object: Obj): Readiness {
  switch (kind) {
    case 'Deployment':
      return deployment(object)
    case 'StatefulSet':
      return statefulSet(object)
    case 'DaemonSet':
      return daemonSet(object)
    case 'Job':
      return job(object)
  }
}

function observed(object: Obj): boolean {
  return num(object.metadata?.generation) <= num(object.status?.observedGeneration, -1)
}

function deployment(object: Obj): Readiness {
  const name = object.metadata?.name
  const status = object.status ?? {}
  const desired = num(object.spec?.replicas, 1)
  const updated = num(status.updatedReplicas)
  const available = num(status.availableReplicas)
  const progress = (message: string): Readiness => ({ state: 'progressing', message, ready: Math.min(available, updated), desired })
  if (!observed(object)) return progress('Waiting for deployment spec update to be observed...')
  const conditions = (status.conditions ?? []) as Array<{ type?: string; reason?: string; message?: string }>
  const progressing = conditions.find((c) => c.type === 'Progressing')
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { state: 'failed', message: `deployment "${name}" exceeded its progress deadline`, ready: Math.min(available, updated), desired }
  }
  if (updated < desired)
    return progress(`Waiting for deployment "${name}" rollout to finish: ${updated} out of ${desired} new replicas have been updated...`)
  const replicas = num(status.replicas)
  if (replicas > updated)
    return progress(`Waiting for deployment "${name}" rollout to finish: ${replicas - updated} old replicas are pending termination...`)
  if (available < updated)
    return progress(`Waiting for deployment "${name}" rollout to finish: ${available} of ${updated} updated replicas are available...`)
  return { state: 'ready', message: `deployment "${name}" successfully rolled out`, ready: available, desired }
}

function statefulSet(object: Obj): Readiness {
  const name = object.metadata?.name
  const status = object.status ?? {}
  const desired = num(object.spec?.replicas, 1)
  const readyReplicas = num(status.readyReplicas)
  const progress = (message: string): Readiness => ({ state: 'progressing', message, ready: readyReplicas, desired })
  const strategy = object.spec?.updateStrategy as { type?: string; rollingUpdate?: { partition?: number } } | undefined
  if (strategy?.type === 'OnDelete')
    return { state: 'ready', message: `statefulset "${name}" uses OnDelete: rollout status does not apply`, ready: readyReplicas, desired }
  if (!observed(object)) return progress('Waiting for statefulset spec update to be observed...')
  if (readyReplicas < desired) return progress(`Waiting for ${desired - readyReplicas} pods to be ready...`)
  // As kubectl: once the server has defaulted rollingUpdate (partition 0 included), the partition rule decides.
  if (strategy?.rollingUpdate) {
    const updated = num(status.updatedReplicas)
    const partition = strategy.rollingUpdate.partition
    if (partition !== undefined && updated < desired - partition) {
      return progress(`Waiting for partitioned roll out to finish: ${updated} out of ${desired - partition} new pods have been updated...`)
    }
    return {
      state: 'ready',
      message: `partitioned roll out complete: ${updated} new pods have been updated...`,
      ready: readyReplicas,
      desired
    }
  }
  if (status.updateRevision !== status.currentRevision) {
    return progress(
      `waiting for statefulset rolling update to complete ${num(status.updatedReplicas)} pods at revision ${String(status.updateRevision)}...`
    )
  }
  return {
    state: 'ready',
    message: `statefulset rolling update complete ${desired} pods at revision ${String(status.currentRevision)}...`,
    ready: readyReplicas,
    desired
  }
}

function daemonSet(object: Obj): Readiness {
  const name = object.metadata?.name
  const status = object.status ?? {}
  const desired = num(status.desiredNumberScheduled)
  const available = num(status.numberAvailable)
  const progress = (message: string): Readiness => ({ state: 'progressing', message, ready: available, desired })
  const strategy = object.spec?.updateStrategy as { type?: string } | undefined
  if (strategy?.type === 'OnDelete')
    return { state: 'ready', message: `daemon set "${name}" uses OnDelete: rollout status does not apply`, ready: available, desired }
  if (!observed(object)) return progress('Waiting for daemon set spec update to be observed...')
  const updated = num(status.updatedNumberScheduled)
  if (updated < desired)
    return progress(`Waiting for daemon set "${name}" rollout to finish: ${updated} out of ${desired} new pods have been updated...`)
  if (available < desired)
    return progress(`Waiting for daemon set "${name}" rollout to finish: ${available} of ${desired} updated pods are available...`)
  return { state: 'ready', message: `daemon set "${name}" successfully rolled out`, ready: available, desired }
}

function job(object: Obj): Readiness {
  const name = object.metadata?.name
  const status = object.status ?? {}
  const desired = num(object.spec?.completions, 1)
  const succeeded = num(status.succeeded)
  const conditions = (status.conditions ?? []) as Array<{ type?: string; status?: string; reason?: string; message?: string }>
  const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True')
  if (failed)
    return {
      state: 'failed',
      message: `job "${name}" failed: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim(),
      ready: succeeded,
      desired
    }
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) {
    return { state: 'ready', message: `job "${name}" completed`, ready: succeeded, desired }
  }
  return {
    state: 'progressing',
    message: `Waiting for job "${name}" to complete: ${succeeded} of ${desired} succeeded...`,
    ready: succeeded,
    desired
  }
}
