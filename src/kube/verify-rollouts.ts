import * as core from '@actions/core'
import type { ClusterApi, Collection, OnObject } from './cluster-api.js'
import { podProblem, problemKind, selectorString, selects, type LabelSelector, type PodProblem } from './pod-problems.js'
import { readinessOf, type Readiness, type WorkloadKind } from './readiness.js'
import type { ResourceType } from './resources.js'
import { watchUntil } from './watch-until.js'
import { errorMessage } from '../errors.js'

export interface Workload {
  kind: WorkloadKind
  namespace: string
  name: string
  type: ResourceType
  /** Its pod selector as applied, so a transport that prefers narrow collections lists only its pods. */
  selector: LabelSelector | undefined
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
 * Follows every workload at once (one collection per namespace and kind), with their pods and
 * ReplicaSets, until all are ready, one fails (`ProgressDeadlineExceeded`, a failed Job), a pod of
 * the current rollout is stuck for a reason the caller judges final (`ErrImagePull`,
 * `ImagePullBackOff`, `InvalidImageName`, `CrashLoopBackOff`: fail fast instead of waiting for the
 * deadline), or the deadline passes. The cluster watches or polls; the rules are the same.
 */
export async function verifyRollouts(
  cluster: ClusterApi,
  workloads: Workload[],
  deadline: number,
  states: Map<string, WorkloadState>,
  judge: JudgeProblem
): Promise<Verdict> {
  const key = (kind: string, namespace: string, name: string) => `${kind}/${namespace}/${name}`
  for (const workload of workloads)
    states.set(key(workload.kind, workload.namespace, workload.name), { workload, readiness: undefined, pods: new Map() })
  const objects = new Map<string, Record<string, any>>()
  const replicaSets = new Map<string, Record<string, any>>()
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

      const onWorkload = (kind: WorkloadKind, type: string, object: Record<string, any>) => {
        const state = states.get(key(kind, object.metadata?.namespace, object.metadata?.name))
        if (!state || type === 'DELETED') return
        objects.set(key(kind, state.workload.namespace, state.workload.name), object)
        const readiness = readinessOf(kind, object)
        if (readiness.message !== state.readiness?.message) core.info(`${kind.toLowerCase()}/${state.workload.name}: ${readiness.message}`)
        state.readiness = readiness
        evaluate()
      }

      /** Judged once per pod and kind of problem; a pod of an older revision is not this rollout's concern. */
      const consider = async (
        state: WorkloadState,
        object: Record<string, any>,
        pod: Record<string, any>,
        problem: PodProblem,
        seen: string
      ) => {
        // Until the controller has seen the applied spec, the revision it names is still the old one,
        // so a stuck pod of the previous (failed) rollout would pass for this one's: decide at its next change.
        if (!specObserved(state.workload, object)) {
          considered.delete(seen)
          return
        }
        if (!belongsToRollout(state.workload, object, pod, replicaSets)) return
        const which = problemKind(problem)
        let judged = judgements.get(which)
        if (!judged) {
          judged = judge(problem)
          judgements.set(which, judged)
        }
        if ((await judged) === 'fail') decide({ outcome: 'pod-problem', workload: state, problem })
      }

      const onPod = (type: string, pod: Record<string, any>) => {
        for (const state of states.values()) {
          const { workload } = state
          if (workload.namespace !== pod.metadata?.namespace) continue
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

      const onObject: OnObject = (collection, type, object) => {
        if (collection.type.plural === 'pods') return onPod(type, object)
        if (collection.type.plural === 'replicasets') {
          const name = `${object.metadata?.namespace}/${object.metadata?.name}`
          if (type === 'DELETED') replicaSets.delete(name)
          else replicaSets.set(name, object)
          return
        }
        const kind = workloads.find((w) => w.type.plural === collection.type.plural && w.type.base === collection.type.base)?.kind
        if (kind) onWorkload(kind, type, object)
      }
      // Without pods (or ReplicaSets) the rollout is still verified, only not diagnosed early.
      const onLost = (collection: Collection, error: Error) => {
        if (!signal.aborted)
          core.warning(
            `Cannot follow ${collection.type.plural} in ${collection.namespace}, so stuck pods will not be caught early: ${error.message}`
          )
      }
      const following = cluster
        .follow(collectionsFor(workloads, cluster.prefersNarrowCollections), onObject, onLost, signal)
        .catch((error: unknown) => {
          if (!signal.aborted) decide({ outcome: 'error', message: errorMessage(error) })
        })
      return [following]
    }
  )
}

/**
 * The workloads by namespace and kind (by name), then their ReplicaSets (to tell a pod's revision)
 * and pods: the whole namespace over a watch, only each workload's own over a polling transport.
 */
export function collectionsFor(workloads: Workload[], narrow: boolean): Collection[] {
  const byKind = new Map<string, Collection>()
  for (const workload of workloads) {
    const group = `${workload.type.base}/${workload.type.plural}/${workload.namespace}`
    const collection = byKind.get(group) ?? { type: workload.type, namespace: workload.namespace, names: [] }
    collection.names!.push(workload.name)
    byKind.set(group, collection)
  }
  const owners = narrow
    ? workloads.map((w) => ({ namespace: w.namespace, selector: selectorString(w.selector), deployment: w.kind === 'Deployment' }))
    : undefined
  const namespaces = [...new Set(workloads.map((w) => w.namespace))]
  const scoped = (type: ResourceType, onlyDeployments: boolean): Collection[] =>
    owners
      ? owners
          .filter((o) => !onlyDeployments || o.deployment)
          .map((o) => ({ type, namespace: o.namespace, labelSelector: o.selector, optional: true }))
      : namespaces.map((namespace) => ({ type, namespace, optional: true }))
  const deployments = workloads.some((w) => w.kind === 'Deployment')
  return [...byKind.values(), ...(deployments ? scoped(REPLICA_SETS, true) : []), ...scoped(PODS, false)]
}

const REPLICA_SETS: ResourceType = { base: '/apis/apps/v1', plural: 'replicasets', namespaced: true }
const PODS: ResourceType = { base: '/api/v1', plural: 'pods', namespaced: true }

function podPhase(pod: Record<string, any>): string {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] as Array<Record<string, any>>
  const waiting = statuses.find((status) => status.state?.waiting?.reason)?.state.waiting.reason as string | undefined
  if (waiting) return waiting
  if (pod.metadata?.deletionTimestamp) return 'Terminating'
  const ready = statuses.length > 0 && statuses.every((status) => status.ready)
  return pod.status?.phase === 'Running' && !ready ? 'Running (not ready)' : String(pod.status?.phase ?? 'Pending')
}

/** Has the workload's controller acted on its current spec? Deployments and StatefulSets say so. */
function specObserved(workload: Workload, object: Record<string, any>): boolean {
  if (workload.kind !== 'Deployment' && workload.kind !== 'StatefulSet') return true
  return (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 0)
}

/**
 * Is this stuck pod part of the rollout being verified, rather than a leftover of an older
 * revision? Deployments: its ReplicaSet carries the Deployment's current revision. StatefulSets:
 * its revision is the update revision. DaemonSets and Jobs: every pod counts. A ReplicaSet not
 * seen yet is taken to be the new one: older ones were all listed before any pod.
 */
function belongsToRollout(
  workload: Workload,
  object: Record<string, any>,
  pod: Record<string, any>,
  replicaSets: Map<string, Record<string, any>>
): boolean {
  if (workload.kind === 'StatefulSet') {
    const update = object.status?.updateRevision
    return !update || pod.metadata?.labels?.['controller-revision-hash'] === update
  }
  if (workload.kind !== 'Deployment') return true
  const owner = (pod.metadata?.ownerReferences ?? []).find((ref: { kind?: string }) => ref.kind === 'ReplicaSet')
  const revision = object.metadata?.annotations?.['deployment.kubernetes.io/revision']
  if (!owner || !revision) return true
  const replicaSet = replicaSets.get(`${workload.namespace}/${owner.name}`)
  return !replicaSet || replicaSet.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision
}
