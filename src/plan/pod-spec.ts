import type { KubeObject } from '../kube/kube-object.js'

export type Container = { name?: string; image?: string }
export type PodSpec = {
  containers?: Container[]
  initContainers?: Container[]
  ephemeralContainers?: Container[]
  imagePullSecrets?: Array<{ name?: string }>
}

/** The pod spec an object runs (a Pod's own, a CronJob's job template's, every other workload's template's). */
export function podSpecOf(object: KubeObject): PodSpec | undefined {
  const spec = object.spec as Record<string, any> | undefined
  if (!spec || typeof spec !== 'object') return undefined
  if (object.kind === 'Pod') return spec as PodSpec
  if (object.kind === 'CronJob') return spec.jobTemplate?.spec?.template?.spec
  return spec.template?.spec
}

/** Every container of a pod spec, init and ephemeral ones included. */
export function containersOf(spec: PodSpec | undefined): Container[] {
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? []), ...(spec?.ephemeralContainers ?? [])]
}
