/**
 * `metav1.Status` answers, worded as the real API server words them: kubectl
 * prints `message` as is ("Error from server (NotFound): ..."), and the action
 * quotes it in its diagnosis, so the text is the contract.
 */
import type { ResourceDef } from './resources.ts'

export interface StatusBody {
  kind: 'Status'
  apiVersion: 'v1'
  metadata: Record<string, never>
  status: 'Failure' | 'Success'
  message: string
  reason: string
  details?: Record<string, unknown>
  code: number
}

export interface KubeError {
  status: number
  body: StatusBody
  headers?: Record<string, string>
}

export function statusError(code: number, reason: string, message: string, details?: Record<string, unknown>): KubeError {
  // Key order as the real server writes it (details before code): visible in `kubectl -v=8`.
  const body = {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code
  } as StatusBody
  return { status: code, body }
}

/** `deployments.apps`, or `pods` for the core group: the "qualified resource" in every message. */
export const qualified = (r: ResourceDef) => (r.group ? `${r.plural}.${r.group}` : r.plural)
/** `Deployment.apps` for Invalid errors (kind, not resource). */
export const qualifiedKind = (r: ResourceDef) => (r.group ? `${r.kind}.${r.group}` : r.kind)

export const notFound = (r: ResourceDef, name: string) =>
  statusError(404, 'NotFound', `${qualified(r)} "${name}" not found`, { name, group: r.group || undefined, kind: r.plural })

export const alreadyExists = (r: ResourceDef, name: string) =>
  statusError(409, 'AlreadyExists', `${qualified(r)} "${name}" already exists`, { name, group: r.group || undefined, kind: r.plural })

export const conflictRv = (r: ResourceDef, name: string) =>
  statusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(r)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    { name, group: r.group || undefined, kind: r.plural }
  )

export const badRequest = (message: string) => statusError(400, 'BadRequest', message)

export const unauthorized = () => statusError(401, 'Unauthorized', 'Unauthorized')

export interface FieldCause {
  type: string
  message: string
  field: string
}

/** 422 Invalid: `Deployment.apps "x" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0`. */
export function invalid(r: ResourceDef, name: string, causes: FieldCause[]): KubeError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`)
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`
  return statusError(422, 'Invalid', `${qualifiedKind(r)} "${name}" is invalid: ${list}`, {
    name,
    group: r.group || undefined,
    kind: r.kind,
    causes: causes.map((c) => ({ reason: c.type, message: c.message, field: c.field }))
  })
}

/** The 403 the RBAC authorizer answers; name is absent for list/create/watch, as there. */
export function forbidden(
  r: ResourceDef | undefined,
  resource: string,
  group: string,
  name: string | undefined,
  user: string,
  verb: string,
  namespace: string | undefined,
  subresource?: string
): KubeError {
  const q = group ? `${resource}.${group}` : resource
  const res = subresource ? `${resource}/${subresource}` : resource
  const where = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'
  const msg = `${q}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${group}" ${where}`
  void r
  return statusError(403, 'Forbidden', msg, { ...(name ? { name } : {}), ...(group ? { group } : {}), kind: resource })
}

/** What a watch sends when the client's resourceVersion is older than the retained window. */
export const expired = (rv: string, oldest: number) => statusError(410, 'Expired', `too old resource version: ${rv} (${oldest})`).body
