/**
 * Which container of a pod a `log` or `attach` request means, and whether it has a process to
 * read from yet, with the API server's and kubelet's refusals.
 */
import type { KObj } from './store.ts'
import type { KubeError } from './status.ts'
import { badRequest } from './status.ts'

export function containerOf(pod: KObj, asked: string | undefined): { name: string } | KubeError {
  const names: string[] = (pod.spec?.containers ?? []).map((c: KObj) => c.name)
  const podName = pod.metadata.name
  if (!asked) {
    if (names.length === 1) return { name: names[0]! }
    return badRequest(`a container name must be specified for pod ${podName}, choose one of: [${names.join(' ')}]`)
  }
  if (!names.includes(asked)) return badRequest(`container ${asked} is not valid for pod ${podName}`)
  return { name: asked }
}

/** A container still waiting has no process: no log and nothing to attach to. */
export function notStarted(pod: KObj, container: string): KubeError | undefined {
  const status = (pod.status?.containerStatuses ?? []).find((s: KObj) => s.name === container)
  const waiting = status?.state?.waiting
  if (!pod.spec?.nodeName) return badRequest(`pod ${pod.metadata.name} does not have a host assigned`)
  if (!status || (waiting && !status.lastState?.terminated)) {
    const reason = waiting?.reason ?? 'ContainerCreating'
    const why = reason === 'ErrImagePull' || reason === 'ImagePullBackOff' ? 'trying and failing to pull image' : reason
    return badRequest(`container "${container}" in pod "${pod.metadata.name}" is waiting to start: ${why}`)
  }
  return undefined
}
