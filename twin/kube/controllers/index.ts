/**
 * The controller manager: watches the store and runs each controller's
 * reconcile for the object that changed (and for its owner), coalescing
 * bursts, after `knobs.controllerDelayMs`. A reconcile may ask to run again
 * later (deadlines, back-offs, minReadySeconds).
 */
import type { KubeCluster } from '../cluster.ts'
import type { StoreEvent } from '../store.ts'
import { reconcileDeployment } from './deployment.ts'
import { reconcileReplicaSet } from './replicaset.ts'
import { reconcileStatefulSet } from './statefulset.ts'
import { reconcileDaemonSet } from './daemonset.ts'
import { reconcileJob } from './job.ts'
import { Kubelet } from './kubelet.ts'

type Reconcile = (k: KubeCluster, ns: string, name: string) => number | undefined | void

const RECONCILERS: Record<string, Reconcile> = {
  Deployment: reconcileDeployment,
  ReplicaSet: reconcileReplicaSet,
  StatefulSet: reconcileStatefulSet,
  DaemonSet: reconcileDaemonSet,
  Job: reconcileJob
}

export function startControllers(k: KubeCluster): () => void {
  const pending = new Set<string>()
  const kubelet = new Kubelet(k)
  const run = (kind: string, ns: string, name: string) => {
    try {
      const again = RECONCILERS[kind](k, ns, name)
      if (typeof again === 'number' && again > 0) k.after(again, () => enqueue(kind, ns, name))
    } catch (err) {
      // A controller bug must not take the API server down; surface it in the test output.
      console.error(`twin kube: ${kind} ${ns}/${name} reconcile failed:`, err)
    }
  }
  /** Coalesces bursts: one reconcile per object per controllerDelayMs; later requeues come back through here. */
  const enqueue = (kind: string, ns: string, name: string) => {
    const key = `${kind}/${ns}/${name}`
    if (pending.has(key)) return
    pending.add(key)
    k.after(k.knobs.controllerDelayMs, () => {
      pending.delete(key)
      run(kind, ns, name)
    })
  }
  const onChange = (e: StoreEvent) => {
    const o = e.obj
    const ns = o.metadata.namespace
    const kind = e.res.kind
    if (RECONCILERS[kind] && e.type !== 'DELETED') enqueue(kind, ns, o.metadata.name)
    for (const ref of o.metadata.ownerReferences ?? []) {
      if (ref.controller && RECONCILERS[ref.kind]) enqueue(ref.kind, ns, ref.name)
    }
    if (kind === 'Pod') kubelet.onPod(o, e.type === 'DELETED')
    if (kind === 'Namespace' && e.type === 'ADDED') seedNamespace(k, o.metadata.name)
  }
  return k.store.onChange(onChange)
}

/** What a new namespace gets from the service-account and root-CA publishers. */
function seedNamespace(k: KubeCluster, ns: string) {
  k.after(k.knobs.controllerDelayMs, () => {
    if (!k.get('Namespace', undefined, ns)) return
    if (!k.get('ServiceAccount', ns, 'default'))
      k.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: ns } })
    if (!k.get('ConfigMap', ns, 'kube-root-ca.crt')) {
      k.create({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: 'kube-root-ca.crt',
          namespace: ns,
          annotations: {
            'kubernetes.io/description':
              'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.'
          }
        },
        data: { 'ca.crt': '-----BEGIN CERTIFICATE-----\n(twin cluster CA)\n-----END CERTIFICATE-----\n' }
      })
    }
  })
}
