/**
 * DaemonSet controller: one pod per Ready node (bound through node affinity on
 * `metadata.name`, as the real controller does), rolling updates one node at a
 * time within maxUnavailable, and the *NumberScheduled/numberAvailable status
 * `rollout status` compares.
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { isOwnedBy, isPodAvailable, isPodReady, isTerminating, intOrPercent, templateHash } from '../objects.ts'
import { podFromTemplate } from './replicaset.ts'

const SRC = { component: 'daemonset-controller' }

export function reconcileDaemonSet(k: KubeCluster, ns: string, name: string) {
  const ds = k.get('DaemonSet', ns, name)
  if (!ds || ds.metadata.deletionTimestamp) return
  const hash = templateHash(ds.spec.template)
  const nodes = k
    .list('Node')
    .filter((n) => Object.entries(ds.spec.template?.spec?.nodeSelector ?? {}).every(([key, v]) => n.metadata.labels?.[key] === v))
  const all = k.list('Pod', ns).filter((p) => isOwnedBy(p, ds))
  const nodeOf = (p: KObj) =>
    p.spec?.nodeName ??
    p.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchFields?.[0]?.values?.[0]
  for (const n of nodes) {
    const mine = all.filter((p) => nodeOf(p) === n.metadata.name && !isTerminating(p))
    if (mine.length) continue
    if (all.some((p) => nodeOf(p) === n.metadata.name && isTerminating(p))) continue
    const pod = podFromTemplate(ds, ds.spec.template, {
      labels: { 'controller-revision-hash': hash, 'pod-template-generation': String(ds.metadata.generation ?? 1) },
      spec: {
        affinity: {
          ...(ds.spec.template?.spec?.affinity ?? {}),
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n.metadata.name] }] }]
            }
          }
        }
      }
    })
    const created = k.create(pod, { manager: 'kube-controller-manager' })
    k.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`, SRC)
  }
  const live = k.list('Pod', ns).filter((p) => isOwnedBy(p, ds) && !isTerminating(p))
  const minReady = ds.spec.minReadySeconds ?? 0
  if (ds.spec.updateStrategy?.type !== 'OnDelete') {
    const maxUnavailable = Math.max(1, intOrPercent(ds.spec.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, nodes.length, false))
    const unavailable = nodes.length - live.filter((p) => isPodAvailable(p, minReady)).length
    const outdated = live.filter((p) => p.metadata.labels?.['controller-revision-hash'] !== hash)
    // Unavailable outdated pods go first; then available ones within the budget.
    const budget = maxUnavailable - unavailable
    const victims = [
      ...outdated.filter((p) => !isPodAvailable(p, minReady)),
      ...outdated.filter((p) => isPodAvailable(p, minReady)).slice(0, Math.max(0, budget))
    ]
    for (const p of victims) {
      k.remove('Pod', ns, p.metadata.name)
      k.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SRC)
    }
  }
  const pods = k.list('Pod', ns).filter((p) => isOwnedBy(p, ds) && !isTerminating(p))
  const available = pods.filter((p) => isPodAvailable(p, minReady)).length
  const status: KObj = {
    currentNumberScheduled: pods.length,
    numberMisscheduled: 0,
    desiredNumberScheduled: nodes.length,
    numberReady: pods.filter(isPodReady).length,
    observedGeneration: ds.metadata.generation,
    updatedNumberScheduled: pods.filter((p) => p.metadata.labels?.['controller-revision-hash'] === hash).length,
    numberAvailable: available,
    numberUnavailable: nodes.length - available
  }
  for (const f of ['updatedNumberScheduled', 'numberAvailable', 'numberUnavailable']) if (!status[f]) delete status[f]
  k.writeStatus('DaemonSet', ds, status)
}
