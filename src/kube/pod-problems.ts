/** Waiting reasons that will not resolve by themselves within a rollout: fail fast on them. */
export const FATAL_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff'] as const

export interface PodProblem {
  pod: string
  namespace: string
  container: string
  image: string
  reason: (typeof FATAL_REASONS)[number]
  message: string
}

interface ContainerStatus {
  name?: string
  image?: string
  state?: { waiting?: { reason?: string; message?: string } }
}

interface Pod {
  metadata?: { name?: string; namespace?: string }
  spec?: { containers?: Array<{ name?: string; image?: string }>; initContainers?: Array<{ name?: string; image?: string }> }
  status?: { containerStatuses?: ContainerStatus[]; initContainerStatuses?: ContainerStatus[] }
}

/** Problems with the same image and of the same kind have the same cause: they are judged once. */
export function problemKind(problem: Pick<PodProblem, 'image' | 'reason'>): string {
  return `${problem.image}|${problem.reason === 'CrashLoopBackOff' ? 'crash' : 'pull'}`
}

/** Pure: the first container of a pod that is stuck for good, with the image its spec asks for. */
export function podProblem(pod: Pod): PodProblem | undefined {
  const statuses = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]
  const specs = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
  for (const status of statuses) {
    const reason = status.state?.waiting?.reason
    if (!reason || !(FATAL_REASONS as readonly string[]).includes(reason)) continue
    const spec = specs.find((container) => container.name === status.name)
    return {
      pod: pod.metadata?.name ?? '',
      namespace: pod.metadata?.namespace ?? '',
      container: status.name ?? '',
      image: spec?.image ?? status.image ?? '',
      reason: reason as PodProblem['reason'],
      message: status.state?.waiting?.message ?? ''
    }
  }
  return undefined
}

/** Pure: does a label selector (matchLabels and matchExpressions) select these labels? */
export function selects(
  selector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined,
  labels: Record<string, string> | undefined
): boolean {
  if (!selector) return false
  const have = labels ?? {}
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) if (have[key] !== value) return false
  for (const expression of selector.matchExpressions ?? []) {
    const value = have[expression.key]
    const values = expression.values ?? []
    if (expression.operator === 'In' && !(value !== undefined && values.includes(value))) return false
    if (expression.operator === 'NotIn' && value !== undefined && values.includes(value)) return false
    if (expression.operator === 'Exists' && value === undefined) return false
    if (expression.operator === 'DoesNotExist' && value !== undefined) return false
  }
  return true
}
