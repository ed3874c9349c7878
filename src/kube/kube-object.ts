/** A manifest object, kept as written: unknown fields travel to the server untouched. */
export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {
    name: string
    namespace?: string
    labels?: Record<string, string>
    annotations?: Record<string, string>
    [key: string]: unknown
  }
  [key: string]: unknown
}

export interface Manifest {
  /** Where it came from (`path#document`), for messages. */
  origin: string
  object: KubeObject
}

export function describeObject(object: Pick<KubeObject, 'kind' | 'metadata'>): string {
  return `${object.kind.toLowerCase()}/${object.metadata.name}${object.metadata.namespace ? ` in ${object.metadata.namespace}` : ''}`
}
