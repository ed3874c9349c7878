import type { TwinRequest, TwinResponse } from '../http.ts'
import type { Entra } from '../entra.ts'
import { ARM_AUDIENCES } from '../entra.ts'
import type { TwinState } from '../state.ts'
import { armError, authorizationFailed, missingApiVersion, subscriptionNotFound } from './errors.ts'

export interface Caller {
  oid: string
  appid: string
  tid: string
}

export interface ArmDeps {
  state: TwinState
  entra: Entra
}

const challenge = (desc: string) => ({
  'WWW-Authenticate': `Bearer authorization_uri="https://login.windows.net/", error="invalid_token", error_description="${desc}"`
})

/** ARM's token gate: who is calling, or the 401 ARM would answer. */
export function armCaller(req: TwinRequest, deps: ArmDeps): Caller | TwinResponse {
  const check = deps.entra.checkBearer(req.headers.authorization)
  if (!check.ok) {
    switch (check.reason) {
      case 'missing':
        return armError(
          401,
          'AuthenticationFailed',
          "Authentication failed. The 'Authorization' header is missing.",
          challenge("The authentication failed because of missing 'Authorization' header.")
        )
      case 'expired': {
        const exp = new Date(Number(check.claims?.exp) * 1000).toISOString()
        return armError(
          401,
          'ExpiredAuthenticationToken',
          `The access token expiry UTC time '${exp}' is earlier than current UTC time '${new Date().toISOString()}'.`,
          challenge('The access token expiry UTC time is earlier than current UTC time.')
        )
      }
      default:
        return armError(401, 'InvalidAuthenticationToken', 'The access token is invalid.', challenge('The access token is invalid.'))
    }
  }
  const aud = String(check.claims.aud ?? '')
  if (!ARM_AUDIENCES.includes(aud)) {
    return armError(
      401,
      'InvalidAuthenticationToken',
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ${ARM_AUDIENCES.slice(
        0,
        4
      )
        .map((a) => `'${a}'`)
        .join(',')}.`,
      challenge('The access token has been obtained for wrong audience or resource.')
    )
  }
  const caller = { oid: String(check.claims.oid ?? ''), appid: String(check.claims.appid ?? ''), tid: String(check.claims.tid ?? '') }
  req.note.tokenOid = caller.oid
  return caller
}

export const isResponse = (x: unknown): x is TwinResponse =>
  typeof x === 'object' && x !== null && typeof (x as TwinResponse).status === 'number'

/** The subscription must exist and belong to the token's tenant, as ARM checks before anything else. */
export function checkSubscription(deps: ArmDeps, caller: Caller, sub: string): TwinResponse | undefined {
  const s = deps.state.subscription(sub)
  if (!s) return subscriptionNotFound(sub)
  if (s.tenantId.toLowerCase() !== caller.tid.toLowerCase()) {
    return armError(
      401,
      'InvalidAuthenticationTokenTenant',
      `The access token is from the wrong issuer 'https://sts.windows.net/${caller.tid}/'. It must match the tenant 'https://sts.windows.net/${s.tenantId}/' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${s.tenantId}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`
    )
  }
  return undefined
}

/** ARM's checks before any route's own: a token, an api-version, a subscription of the token's tenant. */
export function subscriptionCaller(deps: ArmDeps, req: TwinRequest, sub: string): Caller | TwinResponse {
  const caller = armCaller(req, deps)
  if (isResponse(caller)) return caller
  if (!req.query['api-version']) return missingApiVersion()
  return checkSubscription(deps, caller, sub) ?? caller
}

export function authorize(deps: ArmDeps, caller: Caller, action: string, scope: string): TwinResponse | undefined {
  return deps.state.can(caller.oid, action, scope) ? undefined : authorizationFailed(caller.appid, caller.oid, action, scope)
}

/** Pages an array the way ARM list calls do: `{value, nextLink}` with a `$skipToken`. */
export function page<T>(req: TwinRequest, items: T[], pageSize: number): { value: T[]; nextLink?: string } {
  const start = Math.max(0, Number(req.query.$skipToken ?? req.query.$skiptoken ?? 0) || 0)
  const value = items.slice(start, start + pageSize)
  if (start + pageSize >= items.length) return { value }
  const q = new URLSearchParams({ ...req.query, $skipToken: String(start + pageSize) })
  q.delete('$skiptoken')
  return { value, nextLink: `${req.baseUrl}${req.path}?${q.toString()}` }
}
