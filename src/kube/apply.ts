import { ActionError, errorMessage } from '../errors.js'
import type { KubeClient, KubeStatus } from './kube-client.js'
import { describeObject, type KubeObject } from './kube-object.js'
import { objectPath, type ResourceMap, type ResourceType } from './resources.js'
import type { Mutations } from '../mutations.js'
import { diffObjects, type FieldChange } from './object-diff.js'

/** The field manager this action applies as; stable so re-runs own the same fields. */
export const FIELD_MANAGER = 'aks-acr-action'

export interface Applied {
  object: KubeObject
  namespace: string | undefined
  result: 'created' | 'configured'
  /** The object as the server stored it (or would have, in a dry run). */
  live: Record<string, any>
  /** Dry runs only: the fields the apply would change on the live object (empty: unchanged). */
  changes: FieldChange[] | undefined
  note?: string
}

export interface ApplyOptions {
  forceConflicts: boolean
  mutations: Mutations
  defaultNamespace: string
  /** Dry runs: namespaces this run would create, where the server cannot validate anything yet. */
  namespacesToCreate: Set<string>
  /** Told of every object as soon as it is applied, for the log and the record. */
  onApplied: (applied: Applied) => void
}

/** Server-side apply of one object, sent as written (JSON is valid YAML for apply-patch+yaml). */
export async function applyObject(
  client: KubeClient,
  resources: ResourceMap,
  original: KubeObject,
  options: ApplyOptions
): Promise<Applied> {
  let type: ResourceType
  try {
    type = await resources.typeOf(original)
  } catch (error) {
    throw new ActionError(`Cannot apply ${describeObject(original)}`, { detail: errorMessage(error), cause: error })
  }
  const namespace = type.namespaced ? (original.metadata.namespace ?? options.defaultNamespace) : undefined
  const object: KubeObject = type.namespaced ? { ...original, metadata: { ...original.metadata, namespace } } : original
  if (options.mutations.dryRun && namespace && options.namespacesToCreate.has(namespace)) {
    return { object, namespace, result: 'created', live: object, changes: [], note: unvalidated(namespace) }
  }
  const path = objectPath(type, object.metadata.name, namespace)
  // A dry run shows what would change, so it reads the live object to compare with the server's answer.
  const before = options.mutations.dryRun ? await client.request<Record<string, any>>('GET', path) : undefined
  const response = await options.mutations.kube<Record<string, any>>(client, 'PATCH', path, {
    body: object,
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: FIELD_MANAGER, force: options.forceConflicts ? 'true' : undefined }
  })
  if (response.status === 200 || response.status === 201) {
    const existed = before?.status === 200
    const changes = before ? (existed ? diffObjects(before.body, response.body) : []) : undefined
    return {
      object,
      namespace,
      result: response.status === 201 || (before && !existed) ? 'created' : 'configured',
      live: response.body,
      changes
    }
  }
  const body = response.body as KubeStatus
  const message = typeof body === 'object' && body ? (body.message ?? JSON.stringify(body)) : String(body)
  const reason = typeof body === 'object' && body?.reason ? body.reason : statusReason(response.status)
  const owners = (typeof body === 'object' ? (body?.details?.causes ?? []) : []).map((cause) =>
    `${cause.field ?? ''} (${cause.message ?? ''})`.trim()
  )
  throw explainApplyFailure(object, reason, message, owners)
}

/** In a dry run, objects in a namespace the run would create cannot be validated by the server. */
export function unvalidated(namespace: string): string {
  return `not validated by the server: namespace ${namespace} does not exist yet`
}

function statusReason(status: number): string {
  return { 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 409: 'Conflict', 422: 'Invalid' }[status] ?? `HTTP ${status}`
}

/**
 * Why an apply was refused and what to do, from the API server's reason (`Conflict`, `Forbidden`,
 * ...) and words: the same for a direct request and for kubectl's "Error from server (Reason)".
 */
export function explainApplyFailure(
  object: KubeObject,
  reason: string | undefined,
  message: string,
  conflictingFields: string[] = []
): ActionError {
  const what = `Server-side apply of ${describeObject(object)} failed`
  const code = reason ?? 'ApplyFailed'
  if (reason === 'Conflict') {
    return new ActionError(what, {
      code,
      detail: conflictingFields.length ? `fields owned by other managers: ${conflictingFields.join('; ')}` : message,
      hint: "Set 'force-conflicts: true' to take those fields over, or remove them from the manifest"
    })
  }
  if (reason === 'Forbidden') {
    return new ActionError(what, {
      code,
      detail: message,
      hint: "The signed-in identity lacks that Kubernetes permission: bind it to a role that allows it (for Azure RBAC clusters, 'Azure Kubernetes Service RBAC Writer' on the namespace), or use 'admin: true' where local accounts are enabled"
    })
  }
  if (reason === 'NotFound' && /namespaces? "[^"]+" not found/.test(message)) {
    return new ActionError(what, {
      code,
      detail: message,
      hint: "Add the Namespace to the manifests, or set 'namespace' so the action creates it"
    })
  }
  if (reason === 'Unauthorized')
    return new ActionError(what, {
      code,
      detail: message,
      hint: 'The cluster rejected the credentials from ARM; check the cluster has finished provisioning'
    })
  return new ActionError(what, { code, detail: message })
}
