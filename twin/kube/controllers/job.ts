/**
 * Job controller: runs up to `parallelism` pods until `completions` succeed,
 * replaces failed pods until `backoffLimit` is passed, and sets the terminal
 * conditions as 1.31+ does (SuccessCriteriaMet then Complete; FailureTarget
 * then Failed) with the real reasons and messages.
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { isOwnedBy, isPodReady, isTerminating, nowIso } from '../objects.ts'
import { podFromTemplate } from './replicaset.ts'

const SRC = { component: 'job-controller' }

const cond = (type: string, reason: string, message: string) => ({
  type,
  status: 'True',
  lastProbeTime: nowIso(),
  lastTransitionTime: nowIso(),
  reason,
  message
})

export function reconcileJob(k: KubeCluster, ns: string, name: string): number | undefined {
  const job = k.get('Job', ns, name)
  if (!job || job.metadata.deletionTimestamp || job.spec?.suspend) return
  const conds: KObj[] = job.status?.conditions ?? []
  if (conds.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) return
  const pods = k.list('Pod', ns).filter((p) => isOwnedBy(p, job))
  const restartNever = (job.spec.template?.spec?.restartPolicy ?? 'Never') === 'Never'
  const succeeded = pods.filter((p) => p.status?.phase === 'Succeeded').length
  const failedPods = pods.filter((p) => p.status?.phase === 'Failed').length
  // With OnFailure the container restarts in place; each restart counts toward the back-off limit.
  const restarts = restartNever
    ? 0
    : pods.reduce((n, p) => n + (p.status?.containerStatuses ?? []).reduce((m: number, c: KObj) => m + (c.restartCount ?? 0), 0), 0)
  const failed = failedPods + restarts
  const active = pods.filter((p) => !isTerminating(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
  const completions = job.spec.completions ?? 1
  const parallelism = job.spec.parallelism ?? 1
  const backoffLimit = job.spec.backoffLimit ?? 6
  const status: KObj = { ...(job.status ?? {}), startTime: job.status?.startTime ?? nowIso(), uncountedTerminatedPods: {}, terminating: 0 }
  let conditions = [...conds]
  let requeue: number | undefined
  if (succeeded >= completions) {
    for (const p of active) k.remove('Pod', ns, p.metadata.name)
    conditions = [
      ...conditions,
      cond('SuccessCriteriaMet', 'CompletionsReached', 'Reached expected number of succeeded pods'),
      cond('Complete', 'CompletionsReached', 'Reached expected number of succeeded pods')
    ]
    status.completionTime = nowIso()
    k.event(job, 'Normal', 'Completed', 'Job completed', SRC)
  } else if (failed > backoffLimit) {
    for (const p of active) k.remove('Pod', ns, p.metadata.name)
    conditions = [
      ...conditions,
      cond('FailureTarget', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit'),
      cond('Failed', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit')
    ]
    k.event(job, 'Warning', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', SRC)
  } else {
    const want = Math.min(parallelism, completions - succeeded) - active.length
    if (want > 0) {
      // A replacement after a failure waits the controller's back-off.
      const lastFailure = pods
        .filter((p) => p.status?.phase === 'Failed')
        .map((p) => Date.parse(p.metadata.creationTimestamp))
        .sort()
        .at(-1)
      const wait = failedPods && lastFailure ? k.knobs.jobBackoffMs * 2 ** (failedPods - 1) - (Date.now() - lastFailure) : 0
      if (wait > 0) requeue = wait
      else {
        for (let i = 0; i < want; i++) {
          const pod = k.create(podFromTemplate(job, job.spec.template, { generateName: `${job.metadata.name}-` }), {
            manager: 'kube-controller-manager'
          })
          k.event(job, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SRC)
        }
      }
    }
  }
  const now = k
    .list('Pod', ns)
    .filter((p) => isOwnedBy(p, job) && !isTerminating(p) && p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
  status.active = now.length
  status.ready = now.filter(isPodReady).length
  if (succeeded) status.succeeded = succeeded
  else delete status.succeeded
  if (failed) status.failed = failed
  else delete status.failed
  if (!status.active) delete status.active
  status.conditions = conditions
  if (!conditions.length) delete status.conditions
  k.writeStatus('Job', job, status)
  return requeue
}
