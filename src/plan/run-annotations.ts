import type { KubeObject } from '../kube/kube-object.js'
import type { RunIdentity } from '../settings/run-identity.js'

/** The annotations' prefix: names them as this action's, apart from the manifests' own. */
export const ANNOTATION_PREFIX = 'aks-acr-action'

/** Pure: the run's identity as annotations; a part the runner did not give is left out. */
export function runAnnotations(run: RunIdentity): Record<string, string> {
  const entries: Array<[string, string | undefined]> = [
    ['run-url', run.url],
    ['run-attempt', run.attempt],
    ['repository', run.repository],
    ['commit', run.sha],
    ['workflow-ref', run.workflowRef],
    ['actor', run.actor]
  ]
  return Object.fromEntries(
    entries
      .filter((entry): entry is [string, string] => entry[1] !== undefined)
      .map(([key, value]) => [`${ANNOTATION_PREFIX}/${key}`, value])
  )
}

/**
 * Pure: the annotations on each object's own metadata. Never on a pod template: a template that
 * changes on every run would roll every workload out again on every run.
 */
export function annotate(objects: KubeObject[], annotations: Record<string, string>): KubeObject[] {
  if (Object.keys(annotations).length === 0) return objects
  return objects.map((object) => ({
    ...object,
    metadata: { ...object.metadata, annotations: { ...object.metadata.annotations, ...annotations } }
  }))
}
