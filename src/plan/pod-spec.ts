import type { KubeObject } from '../kube/kube-object.js'

export type Container = { name?: string; image?: string }
export type PodSpec = {
  containers?: Container[]
  initContainers?: Container[]
  ephemeralContainers?: Container[]
  imagePullSecrets?: Array<{ name?: string }>
}

/**
 * The pod spec an object runs: a Pod's own, a CronJob's job template's, any other object's
 * `spec.template.spec` (Argo Rollouts and the like keep pod templates there too), but only when it
 * holds containers: some custom resources' templates are something else (Cluster API machines,
 * KubeVirt VMs), and must get no pod fields.
 */
export function podSpecOf(object: KubeObject): PodSpec | undefined {
  const spec = object.spec as Record<string, any> | undefined
  if (!spec || typeof spec !== 'object') return undefined
  const candidate = object.kind === 'Pod' ? spec : object.kind === 'CronJob' ? spec.jobTemplate?.spec?.template?.spec : spec.template?.spec
  return candidate && Array.isArray(candidate.containers) ? (candidate as PodSpec) : undefined
}

/** Every container of a pod spec, init and ephemeral ones included. */
export function containersOf(spec: PodSpec | undefined): Container[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]
}
