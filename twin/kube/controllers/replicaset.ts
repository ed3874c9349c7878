/**
 * ReplicaSet controller: keeps `spec.replicas` pods (generateName
 * `<rs>-xxxxx`, owner reference, template labels), deletes the least useful
 * extras first, and reports replicas/ready/available in status.
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { isOwnedBy, isPodAvailable, isPodReady, isTerminating, ownerRef } from '../objects.ts'

const SRC = { component: 'replicaset-controller' }

export function podsOf(k: KubeCluster, owner: KObj, includeTerminating = false): KObj[] {
  return k
    .list('Pod', owner.metadata.namespace)
    .filter(
      (p) =>
        isOwnedBy(p, owner) &&
        (includeTerminating || !isTerminating(p)) &&
        !(p.status?.phase === 'Failed' || p.status?.phase === 'Succeeded')
    )
}

/** The pod a controller makes from its template. */
export function podFromTemplate(
  owner: KObj,
  template: KObj,
  extra: { name?: string; generateName?: string; labels?: Record<string, string>; spec?: KObj } = {}
): KObj {
  const t = structuredClone(template ?? {})
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(extra.name ? { name: extra.name } : { generateName: extra.generateName ?? `${owner.metadata.name}-` }),
      namespace: owner.metadata.namespace,
      labels: { ...(t.metadata?.labels ?? {}), ...(extra.labels ?? {}) },
      ...(t.metadata?.annotations ? { annotations: t.metadata.annotations } : {}),
      ownerReferences: [ownerRef(owner)]
    },
    spec: { ...t.spec, ...(extra.spec ?? {}) }
  }
}

export function reconcileReplicaSet(k: KubeCluster, ns: string, name: string) {
  const rs = k.get('ReplicaSet', ns, name)
  if (!rs || rs.metadata.deletionTimestamp) return
  const pods = podsOf(k, rs)
  const want = rs.spec?.replicas ?? 1
  if (pods.length < want) {
    for (let i = pods.length; i < want; i++) {
      const pod = k.create(podFromTemplate(rs, rs.spec.template), { manager: 'kube-controller-manager' })
      k.event(rs, 'Normal', 'SuccessfulCreate', `Created pod: ${pod.metadata.name}`, SRC)
    }
  } else if (pods.length > want) {
    // Unscheduled, then not ready, then newest go first (controller.ActivePods ordering, simplified).
    const rank = (p: KObj) => (!p.spec?.nodeName ? 0 : !isPodReady(p) ? 1 : 2)
    const victims = [...pods]
      .sort((a, b) => rank(a) - rank(b) || (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? 1 : -1))
      .slice(0, pods.length - want)
    for (const p of victims) {
      k.remove('Pod', ns, p.metadata.name)
      k.event(rs, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`, SRC)
    }
  }
  const now = podsOf(k, rs)
  const minReady = rs.spec?.minReadySeconds ?? 0
  const ready = now.filter(isPodReady).length
  const available = now.filter((p) => isPodAvailable(p, minReady)).length
  const status: KObj = { replicas: now.length, fullyLabeledReplicas: now.length, observedGeneration: rs.metadata.generation }
  if (ready) status.readyReplicas = ready
  if (available) status.availableReplicas = available
  k.writeStatus('ReplicaSet', rs, status)
  if (minReady > 0 && ready > available) return minReady * 1000
  return undefined
}
