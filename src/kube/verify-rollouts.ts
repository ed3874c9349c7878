import * as core from '@actions/core'
import type { KubeClient } from './kube-client.js'
import { podProblem, problemKind, selects, type PodProblem } from './pod-problems.js'
import { readinessOf, type Readiness, type WorkloadKind } from './readiness.js'
import { collectionPath, type ResourceType } from './resources.js'
import { listAndWatch } from './rollout-watch.js'
import { watchUntil } from './watch-until.js'
import { errorMessage } from '../errors.js'

export interface Workload {
  kind: WorkloadKind
  namespace: string
  name: string
  type: ResourceType
}

export interface WorkloadState {
  workload: Workload
  readiness: Readiness | undefined
  /** The pod states seen last, for the summary (`Running`, `ImagePullBackOff`, ...). */
  pods: Map<string, string>
}

export type Verdict =
  | { outcome: 'ready' }
  | { outcome: 'failed'; workload: WorkloadState; message: string }
  | { outcome: 'pod-problem'; workload: WorkloadState; problem: PodProblem }
  | { outcome: 'timeout'; pending: WorkloadState[] }
  | { outcome: 'error'; message: string }

/**
 * What the caller makes of a stuck pod: `fail` ends the wait at once; `wait` lets the rollout go on
 * (a cause that may pass, such as a grant still propagating). Asked once per image and kind of problem.
 */
export type JudgeProblem = (problem: PodProblem) => Promise<'fail' | 'wait'>

/**
 * Watches every workload at once, one list-and-watch per namespace and kind plus one for pods per
 * namespace, until all are ready, one fails (`ProgressDeadlineExceeded`, a failed Job), a pod of
 * the current rollout is stuck for a reason the caller judges final (`ErrImagePull`,
 * `ImagePullBackOff`, `InvalidImageName`, `CrashLoopBackOff`: fail fast instead of waiting for the
 * deadline), or the deadline passes.
 */
export async function verifyRollouts(
  client: KubeClient,
  workloads: Workload[],
  deadline: number,
  states: Map<string, WorkloadState>,
  judge: JudgeProblem
): Promise<Verdict> {
  const key = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`
  for (const workload of workloads) states.set(key(workload.kind, workload.namespace, workload.name), { workload, readiness: undefined, pods: new Map() })
  const objects = new Map<string, Record<string, any>>()
  const considered = new Set<string>()
  const judgements = new Map<string, Promise<'fail' | 'wait'>>()

  return watchUntil<Verdict>(
    deadline,
    () => ({ outcome: 'timeout', pending: [...states.values()].filter((s) => s.readiness?.state !== 'ready') }),
    (decide, signal) => {
      const evaluate = () => {
        const all = [...states.values()]
        const failed = all.find((state) => state.readiness?.state === 'failed')
        if (failed) return decide({ outcome: 'failed', workload: failed, message: failed.readiness!.message })
        if (all.every((state) => state.readiness?.state === 'ready')) decide({ outcome: 'ready' })
      }

      const onWorkload = (kind: WorkloadKind) => (type: string, object: Record<string, any>) => {
        const state = states.get(key(kind, object.metadata?.namespace, object.metadata?.name))
        if (!state || type === 'DELETED') return
        objects.set(key(kind, state.workload.namespace, state.workload.name), object)
        const readiness = readinessOf(kind, object)
        if (readiness.message !== state.readiness?.message) core.info(`${kind.toLowerCase()}/${state.workload.name}: ${readiness.message}`)
        state.readiness = readiness
        evaluate()
      }

      /** Judged once per pod and kind of problem; a pod of an older revision is not this rollout's concern. */
      const consider = async (state: WorkloadState, object: Record<string, any>, pod: Record<string, any>, problem: PodProblem, seen: string) => {
        if (!(await belongsToRollout(client, state.workload, object, pod))) {
          considered.delete(seen)
          return
        }
        const which = problemKind(problem)
        let judged = judgements.get(which)
        if (!judged) {
          judged = judge(problem)
          judgements.set(which, judged)
        }
        if ((await judged) === 'fail') decide({ outcome: 'pod-problem', workload: state, problem })
      }

      const onPod = (namespace: string) => (type: string, pod: Record<string, any>) => {
        for (const state of states.values()) {
          const { workload } = state
          if (workload.namespace !== namespace) continue
          const object = objects.get(key(workload.kind, workload.namespace, workload.name))
          if (!object || !selects(object.spec?.selector, pod.metadata?.labels)) continue
          const podName = String(pod.metadata?.name)
          if (type === 'DELETED') {
            state.pods.delete(podName)
            continue
          }
          state.pods.set(podName, podPhase(pod))
          const problem = podProblem(pod)
          if (!problem) continue
          const seen = `${podName}|${problemKind(problem)}`
          if (considered.has(seen)) continue
          considered.add(seen)
          consider(state, object, pod, problem, seen).catch((error: unknown) =>
            decide({ outcome: 'error', message: `while looking into pod ${podName}: ${errorMessage(error)}` })
          )
        }
      }

      const groups = new Map<string, Workload>()
      for (const workload of workloads) groups.set(`${workload.kind}/${workload.namespace}`, workload)
      const namespaces = new Set(workloads.map((workload) => workload.namespace))
      return [
        ...[...groups.values()].map((workload) =>
          listAndWatch(client, collectionPath(workload.type, workload.namespace), {}, onWorkload(workload.kind), signal).catch((error: unknown) =>
            decide({ outcome: 'error', message: errorMessage(error) })
          )
        ),
        // Without pod access the rollout is still verified, only not diagnosed early.
        ...[...namespaces].map((namespace) =>
          listAndWatch(client, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`, {}, onPod(namespace), signal).catch((error: unknown) => {
            if (!signal.aborted) core.warning(`Cannot watch pods in ${namespace}, so stuck pods will not be caught early: ${errorMessage(error)}`)
          })
        )
      ]
    }
  )
}


function podPhase(pod: Record<string, any>): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as Array<Record<string, any>>
  const waiting = statuses.find((status) => status.state?.waiting?.reason)?.state.waiting.reason as string | undefined
  if (waiting) return waiting
  if (pod.metadata?.deletionTimestamp) return 'Terminating'
  const ready = statuses.length > 0 && statuses.every((status) => status.ready)
  return pod.status?.phase === 'Running' && !ready ? 'Running (not ready)' : String(pod.status?.phase ?? 'Pending')
}

/**
 * Is this stuck pod part of the rollout being verified, rather than a leftover of an older
 * revision? Deployments: its ReplicaSet carries the Deployment's current revision. StatefulSets:
 * its revision is the update revision. DaemonSets and Jobs: every pod counts.
 */
async function belongsToRollout(client: KubeClient, workload: Workload, object: Record<string, any>, pod: Record<string, any>): Promise<boolean> {
  if (workload.kind === 'StatefulSet') {
    const update = object.status?.updateRevision
    return !update || pod.metadata?.labels?.['controller-revision-hash'] === update
  }
  if (workload.kind !== 'Deployment') return true
  const owner = (pod.metadata?.ownerReferences ?? []).find((ref: { kind?: string }) => ref.kind === 'ReplicaSet')
  const revision = object.metadata?.annotations?.['deployment.kubernetes.io/revision']
  if (!owner || !revision) return true
  const replicaSet = await client.request<Record<string, any>>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(workload.namespace)}/replicasets/${encodeURIComponent(owner.name)}`)
  if (replicaSet.status !== 200) return true
  return replicaSet.body.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision
}
