/** Waiting reasons that will not resolve by themselves within a rollout: fail fast on them. */
export const FATAL_REASONS = ['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'CrashLoopBackOff'] as const

export interface PodProblem {
  pod: string
  namespace: string
  container: string
  image: string
  reason: (typeof FATAL_REASONS)[number]
  message: string
  /** The image pull secrets the pod names (`spec.imagePullSecrets`). */
  pullSecrets: string[]
}

interface ContainerStatus {
  name?: string
  image?: string
  state?: { waiting?: { reason?: string; message?: string } }
}

interface Pod {
  metadata?: { name?: string; namespace?: string }
  spec?: {
    containers?: Array<{ name?: string; image?: string }>
    initContainers?: Array<{ name?: string; image?: string }>
    imagePullSecrets?: Array<{ name?: string }>
  }
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
      message: status.state?.waiting?.message ?? '',
      pullSecrets: (pod.spec?.imagePullSecrets ?? []).flatMap((ref) => (ref.name ? [ref.name] : []))
    }
  }
  return undefined
}

export interface LabelSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>
}

/** Pure: the selector as `kubectl -l` and `labelSelector=` take it: `app=web,tier in (a,b),!legacy`. */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return undefined
  const terms = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`)
  for (const { key, operator, values = [] } of selector.matchExpressions ?? []) {
    if (operator === 'In') terms.push(`${key} in (${values.join(',')})`)
    if (operator === 'NotIn') terms.push(`${key} notin (${values.join(',')})`)
    if (operator === 'Exists') terms.push(key)
    if (operator === 'DoesNotExist') terms.push(`!${key}`)
  }
  return terms.length ? terms.join(',') : undefined
}

/** Pure: does a label selector (matchLabels and matchExpressions) select these labels? */
export function selects(selector: LabelSelector | undefined, labels: Record<string, string> | undefined): boolean {
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
