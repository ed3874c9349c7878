export interface FieldChange {
  path: string
  before: unknown
  after: unknown
}

/** Fields the server owns: they differ between any two reads and say nothing about the manifest. */
const SERVER_FIELDS = new Set([
  'status',
  'metadata.resourceVersion',
  'metadata.generation',
  'metadata.managedFields',
  'metadata.uid',
  'metadata.creationTimestamp',
  'metadata.selfLink'
])
const SERVER_ANNOTATIONS = ['deployment.kubernetes.io/revision', 'kubectl.kubernetes.io/last-applied-configuration']

/**
 * Pure: the leaf fields that differ between the live object and what the server's dry run says it
 * would store, as `spec.template.spec.containers[0].image: a → b`. Server-owned fields are ignored.
 */
export function diffObjects(live: unknown, planned: unknown, limit = 50): FieldChange[] {
  const changes: FieldChange[] = []
  walk(strip(live), strip(planned), '', changes, limit)
  const kind = (planned as { kind?: unknown } | null)?.kind ?? (live as { kind?: unknown } | null)?.kind
  return kind === 'Secret' ? changes.map(redact) : changes
}

/** A Secret's values never reach a diff; like `kubectl diff`, it says only that they change. */
function redact(change: FieldChange): FieldChange {
  if (!/^(data|stringData)(\.|\[|$)/.test(change.path)) return change
  return {
    path: change.path,
    before: change.before === undefined ? undefined : '*** (before)',
    after: change.after === undefined ? undefined : '*** (after)'
  }
}

function strip(object: unknown): unknown {
  if (typeof object !== 'object' || object === null) return object
  const copy = structuredClone(object) as Record<string, any>
  delete copy.status
  for (const field of SERVER_FIELDS) {
    const [head, tail] = field.split('.')
    if (tail && copy[head!]) delete copy[head!][tail]
  }
  for (const annotation of SERVER_ANNOTATIONS) delete copy.metadata?.annotations?.[annotation]
  if (copy.metadata?.annotations && Object.keys(copy.metadata.annotations).length === 0) delete copy.metadata.annotations
  return copy
}

function walk(before: unknown, after: unknown, path: string, changes: FieldChange[], limit: number): void {
  if (changes.length >= limit) return
  if (isObject(before) && isObject(after)) {
    for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
      walk(before[key], after[key], path ? `${path}.${key}` : key, changes, limit)
    }
    return
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    for (let i = 0; i < Math.max(before.length, after.length); i++) walk(before[i], after[i], `${path}[${i}]`, changes, limit)
    return
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) changes.push({ path, before, after })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

export function describeChange(change: FieldChange): string {
  const show = (value: unknown) => (value === undefined ? '(unset)' : JSON.stringify(value).slice(0, 120))
  return `${change.path}: ${show(change.before)} → ${show(change.after)}`
}
