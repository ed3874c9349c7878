import type { SignInMethod } from '../settings/sign-in-settings.js'
import { jwtPayload } from './federation-claims.js'

export const METHOD_NAMES: Record<SignInMethod, string> = {
  oidc: 'GitHub OIDC',
  'workload-identity': 'workload identity',
  'managed-identity': 'managed identity'
}

/** Who the action runs as, and how it signed in: read from its ARM token, for the log, the summary and messages. */
export interface SignedInIdentity {
  method: SignInMethod
  /** Why this way: `auth-type` named it, or what `auto` found. */
  reason: string
  tenantId: string | undefined
  /** The application's or managed identity's client ID (`appid`). */
  clientId: string | undefined
  /** The service principal's object ID (`oid`): what role assignments name. */
  objectId: string | undefined
  /** A managed identity's resource ID (`xms_mirid`): the VM or scale set for a system-assigned one. */
  resourceId: string | undefined
  /** What a federated assertion presented: `repo:OWNER/REPO:ref:…`, or `system:serviceaccount:NS:NAME`. */
  subject: string | undefined
}

/** `tenantId` is the one the settings named, for a token that carries none. */
export function identityFromToken(
  accessToken: string,
  method: SignInMethod,
  reason: string,
  subject: string | undefined,
  tenantId: string | undefined
): SignedInIdentity {
  const claims = jwtPayload(accessToken)
  const text = (name: string) => (typeof claims[name] === 'string' && claims[name] ? (claims[name] as string) : undefined)
  return {
    method,
    reason,
    tenantId: text('tid') ?? tenantId,
    clientId: text('appid'),
    objectId: text('oid'),
    resourceId: text('xms_mirid'),
    subject
  }
}

/**
 * One phrase naming the identity: `client c (object ID o) with GitHub OIDC as repo:o/r:ref:refs/heads/main`,
 * `the user-assigned managed identity runner-id (client c, object ID o)`. `code` formats IDs (backticks in Markdown).
 */
export function describeIdentity(identity: SignedInIdentity, code: (text: string) => string = (text) => text): string {
  const id = (value: string | undefined) => (value ? code(value) : 'unknown')
  const ids = `client ${id(identity.clientId)}, object ID ${id(identity.objectId)}`
  if (identity.method === 'managed-identity') {
    const resource = /\/providers\/([^/]+\/[^/]+)\/([^/]+)$/i.exec(identity.resourceId ?? '')
    if (!resource) return `a managed identity of this machine (${ids}) through the instance metadata service`
    const type = resource[1]!.toLowerCase()
    if (type === 'microsoft.managedidentity/userassignedidentities') {
      return `the user-assigned managed identity ${code(resource[2]!)} (${ids}) through the instance metadata service`
    }
    const machine = type === 'microsoft.compute/virtualmachinescalesets' ? 'scale set' : 'VM'
    return `the system-assigned managed identity of ${machine} ${code(resource[2]!)} (${ids}) through the instance metadata service`
  }
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(identity.subject ?? '')
  const as = account
    ? ` as service account ${code(`${account[1]}/${account[2]}`)}`
    : identity.subject
      ? ` as ${code(identity.subject)}`
      : ''
  return `client ${id(identity.clientId)} (object ID ${id(identity.objectId)}) with ${METHOD_NAMES[identity.method]}${as}`
}
