/**
 * StatefulSet controller: ordered pods `<name>-0..N-1` (OrderedReady waits
 * for each to be Running and Ready), a ControllerRevision per template, rolling
 * updates from the highest ordinal down to `partition`, and the status fields
 * `rollout status` compares (currentRevision/updateRevision, readyReplicas,
 * updatedReplicas).
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { isOwnedBy, isPodAvailable, isPodReady, isTerminating, ownerRef, templateHash } from '../objects.ts'
import { podFromTemplate } from './replicaset.ts'

const SRC = { component: 'statefulset-controller' }
const REV_LABEL = 'controller-revision-hash'

function ensureRevision(k: KubeCluster, sts: KObj): string {
  const hash = templateHash(sts.spec.template)
  const name = `${sts.metadata.name}-${hash}`
  const revs = k.list('ControllerRevision', sts.metadata.namespace).filter((r) => isOwnedBy(r, sts))
  if (!revs.some((r) => r.metadata.name === name)) {
    k.create(
      {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name,
          namespace: sts.metadata.namespace,
          labels: { ...(sts.spec.template?.metadata?.labels ?? {}), [REV_LABEL]: hash },
          ownerReferences: [ownerRef(sts)]
        },
        data: { spec: { template: { ...sts.spec.template, $patch: 'replace' } } },
        revision: Math.max(0, ...revs.map((r) => r.revision ?? 0)) + 1
      },
      { manager: 'kube-controller-manager' }
    )
  }
  return name
}

export function reconcileStatefulSet(k: KubeCluster, ns: string, name: string) {
  const sts = k.get('StatefulSet', ns, name)
  if (!sts || sts.metadata.deletionTimestamp) return
  const replicas: number = sts.spec.replicas ?? 1
  const updateRevision = ensureRevision(k, sts)
  const allPods = k.list('Pod', ns).filter((p) => isOwnedBy(p, sts))
  const ordinal = (p: KObj) => Number(p.metadata.name.slice(sts.metadata.name.length + 1))
  const live = allPods.filter((p) => !isTerminating(p))
  const parallel = sts.spec.podManagementPolicy === 'Parallel'
  const healthy = (p: KObj) => p.status?.phase === 'Running' && isPodReady(p)

  // Create missing ordinals in order.
  let blocked = false
  for (let i = 0; i < replicas && !blocked; i++) {
    const podName = `${sts.metadata.name}-${i}`
    const existing = allPods.find((p) => p.metadata.name === podName)
    if (existing) {
      if (!parallel && (!healthy(existing) || isTerminating(existing))) blocked = true
      continue
    }
    const pod = podFromTemplate(sts, sts.spec.template, {
      name: podName,
      labels: { [REV_LABEL]: updateRevision, 'apps.kubernetes.io/pod-index': String(i), 'statefulset.kubernetes.io/pod-name': podName },
      spec: { hostname: podName, ...(sts.spec.serviceName ? { subdomain: sts.spec.serviceName } : {}) }
    })
    k.create(pod, { manager: 'kube-controller-manager' })
    k.event(sts, 'Normal', 'SuccessfulCreate', `create Pod ${podName} in StatefulSet ${sts.metadata.name} successful`, SRC)
    if (!parallel) blocked = true
  }
  // Scale down from the highest ordinal.
  const extra = live.filter((p) => ordinal(p) >= replicas).sort((a, b) => ordinal(b) - ordinal(a))
  if (extra.length && (parallel || live.filter((p) => ordinal(p) < replicas).every(healthy))) {
    for (const p of parallel ? extra : extra.slice(0, 1)) {
      k.remove('Pod', ns, p.metadata.name)
      k.event(sts, 'Normal', 'SuccessfulDelete', `delete Pod ${p.metadata.name} in StatefulSet ${sts.metadata.name} successful`, SRC)
    }
  }
  // Rolling update: replace the highest outdated ordinal >= partition once all others are healthy.
  const partition = sts.spec.updateStrategy?.type === 'RollingUpdate' ? (sts.spec.updateStrategy?.rollingUpdate?.partition ?? 0) : replicas
  const inRange = live.filter((p) => ordinal(p) < replicas)
  if (
    sts.spec.updateStrategy?.type !== 'OnDelete' &&
    inRange.length === replicas &&
    inRange.every(healthy) &&
    !allPods.some(isTerminating)
  ) {
    const outdated = inRange
      .filter((p) => ordinal(p) >= partition && p.metadata.labels?.[REV_LABEL] !== updateRevision)
      .sort((a, b) => ordinal(b) - ordinal(a))
    if (outdated.length) {
      k.remove('Pod', ns, outdated[0].metadata.name)
      k.event(
        sts,
        'Normal',
        'SuccessfulDelete',
        `delete Pod ${outdated[0].metadata.name} in StatefulSet ${sts.metadata.name} successful`,
        SRC
      )
    }
  }
  const pods = k.list('Pod', ns).filter((p) => isOwnedBy(p, sts) && !isTerminating(p))
  const prev: KObj = sts.status ?? {}
  const updated = pods.filter((p) => p.metadata.labels?.[REV_LABEL] === updateRevision).length
  let currentRevision: string = prev.currentRevision ?? updateRevision
  const ready = pods.filter(isPodReady).length
  if (updated === replicas && pods.length === replicas && ready === replicas) currentRevision = updateRevision
  const current = pods.filter((p) => p.metadata.labels?.[REV_LABEL] === currentRevision).length
  const status: KObj = {
    observedGeneration: sts.metadata.generation,
    replicas: pods.length,
    readyReplicas: ready,
    currentReplicas: current,
    updatedReplicas: updated,
    currentRevision,
    updateRevision,
    collisionCount: prev.collisionCount ?? 0,
    availableReplicas: pods.filter((p) => isPodAvailable(p, sts.spec.minReadySeconds ?? 0)).length
  }
  for (const f of ['readyReplicas', 'currentReplicas', 'updatedReplicas']) if (!status[f]) delete status[f]
  k.writeStatus('StatefulSet', sts, status)
}
