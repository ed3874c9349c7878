import { Router } from './http.ts'
import type { TwinRequest, TwinResponse } from './http.ts'
import { KNOWN_RESOURCES } from './entra.ts'
import type { Entra, TokenSubject } from './entra.ts'
import type { ManagedIdentity, RunnerMachine, TwinState } from './state.ts'

/**
 * Where the twin's metadata service listens: a loopback address of its own, outside the
 * `NO_PROXY=127.0.0.1,localhost` every run gets, so a client that sends it through HTTPS_PROXY
 * fails here as it would on a VM (169.254.169.254 is in nobody's NO_PROXY either).
 */
export const IMDS_ADDRESS = '127.0.0.2'

const imdsError = (error: string, description: string): TwinResponse => ({ status: 400, body: { error, error_description: description } })

/** Which identity a token request names: `client_id`, `object_id` or `msi_res_id`, else the machine's own. */
function pickIdentity(machine: RunnerMachine, query: Record<string, string>): { subject: Omit<TokenSubject, 'tenantId'> } | TwinResponse {
  const lc = (s: string | undefined) => (s ?? '').toLowerCase()
  const named: Array<[string, (i: ManagedIdentity) => string]> = [
    ['client_id', (i) => i.clientId],
    ['object_id', (i) => i.objectId],
    ['msi_res_id', (i) => i.resourceId],
    ['mi_res_id', (i) => i.resourceId]
  ]
  for (const [parameter, value] of named) {
    if (!query[parameter]) continue
    const found = machine.userAssigned.find((i) => lc(value(i)) === lc(query[parameter]))
    if (!found) {
      const system = machine.systemAssigned
      // The system-assigned identity may be named by its own client or object ID too.
      if (system && (lc(system.clientId) === lc(query[parameter]) || lc(system.objectId) === lc(query[parameter]))) {
        return { subject: { clientId: system.clientId, objectId: system.objectId, resourceId: machine.resourceId } }
      }
      return imdsError('invalid_request', 'Identity not found')
    }
    return { subject: { clientId: found.clientId, objectId: found.objectId, resourceId: found.resourceId } }
  }
  if (machine.systemAssigned) return { subject: { ...machine.systemAssigned, resourceId: machine.resourceId } }
  const [only, ...others] = machine.userAssigned
  if (!only) return imdsError('invalid_request', 'Identity not found')
  if (others.length > 0) {
    return imdsError(
      'invalid_request',
      'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request'
    )
  }
  return { subject: { clientId: only.clientId, objectId: only.objectId, resourceId: only.resourceId } }
}

/**
 * The identity endpoint of Azure's instance metadata service, as a VM's managed identities get
 * tokens: `GET /metadata/identity/oauth2/token?api-version=…&resource=…` with `Metadata: true`.
 * Answers carry every number as a string, as IMDS writes them.
 */
export function createImdsRouter(state: TwinState, entra: Entra): Router {
  const router = new Router()
  router.on('GET', /^\/metadata\/identity\/oauth2\/token\/?$/, (req: TwinRequest): TwinResponse => {
    const machine = state.runnerMachine
    if (!machine) return { status: 404 }
    if (String(req.headers.metadata ?? '').toLowerCase() !== 'true')
      return imdsError('bad_request_102', 'Required metadata header not specified')
    if (!req.query['api-version']) return imdsError('invalid_request', "Required query variable 'api-version' is missing")
    const resource = req.query.resource ?? ''
    if (!resource) return imdsError('invalid_request', 'Required audience parameter not specified')
    const picked = pickIdentity(machine, req.query)
    if ('status' in picked) return picked
    const tenant = state.tenant(machine.tenantId)
    if (!KNOWN_RESOURCES.includes(resource)) {
      return imdsError(
        'invalid_resource',
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${tenant?.displayName ?? machine.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
      )
    }
    const now = Math.floor(Date.now() / 1000)
    const lifetime = machine.tokenLifetimeSeconds
    return {
      status: 200,
      body: {
        access_token: entra.issue({ tenantId: machine.tenantId, ...picked.subject }, resource, lifetime),
        client_id: picked.subject.clientId,
        expires_in: String(lifetime - 1),
        expires_on: String(now + lifetime - 1),
        ext_expires_in: String(lifetime - 1),
        not_before: String(now),
        resource,
        token_type: 'Bearer'
      }
    }
  })
  return router
}
