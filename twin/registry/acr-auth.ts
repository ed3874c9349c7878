import type { TwinRequest, TwinResponse } from '../http.ts'
import type { Entra } from '../entra.ts'
import { ARM_AUDIENCES } from '../entra.ts'
import type { Registry, TwinState } from '../state.ts'
import type { Claims } from '../jwt.ts'
import { distError } from './distribution.ts'
import { canListCatalog, repositoryAccess } from './permissions.ts'
import type { RepoAction } from './permissions.ts'
import { basicOf, scopesOf, tokenTimes } from './tokens.ts'
import type { Access, RegistryTokens } from './tokens.ts'

/**
 * ACR's token service. `POST /oauth2/exchange` trades an Entra access token
 * for a refresh token (any valid identity of the registry's tenant gets one:
 * rights are not checked there); `/oauth2/token` trades the refresh token for
 * an access token whose `access` claim holds only what the identity really
 * may do, per repository, under the registry's permissions mode.
 */
export interface AcrAuthDeps {
  state: TwinState
  entra: Entra
  tokens: RegistryTokens
}

/** Audiences ACR accepts in exchange: its own, and ARM's while `azureADAuthenticationAsArmPolicy` is enabled (the default). */
const ACR_AUDIENCES = ['https://containerregistry.azure.net', 'https://containerregistry.azure.net/', ...ARM_AUDIENCES]
/** The username docker and containerd send with a refresh token as password. */
export const NULL_GUID = '00000000-0000-0000-0000-000000000000'
const REFRESH_LIFETIME = 3 * 3600
const ACCESS_LIFETIME = 75 * 60

export function form(req: TwinRequest): URLSearchParams {
  return new URLSearchParams(req.body.toString('utf8'))
}

const unauthorizedToken = (message: string): TwinResponse => distError(401, 'UNAUTHORIZED', message, null)

function exchange(deps: AcrAuthDeps, req: TwinRequest, reg: Registry): TwinResponse {
  const f = form(req)
  if (f.get('grant_type') !== 'access_token' && f.get('grant_type') !== 'access_token_refresh_token') {
    return distError(400, 'UNSUPPORTED', `grant_type '${f.get('grant_type') ?? ''}' is not supported; use access_token`, null)
  }
  if ((f.get('service') ?? '').toLowerCase() !== reg.loginServer.toLowerCase()) {
    return distError(400, 'BAD_REQUEST', `service '${f.get('service') ?? ''}' does not match this registry '${reg.loginServer}'`, null)
  }
  const check = deps.entra.checkBearer(`Bearer ${f.get('access_token') ?? ''}`)
  if (!check.ok) return unauthorizedToken(`The access token is ${check.reason === 'expired' ? 'expired' : 'invalid'}.`)
  const c = check.claims
  if (!ACR_AUDIENCES.includes(String(c.aud ?? '')))
    return unauthorizedToken(`The access token has an audience '${String(c.aud)}' this registry does not accept.`)
  const tenant = deps.state.subscription(reg.subscriptionId)?.tenantId ?? ''
  const tid = String(c.tid ?? '')
  const asked = f.get('tenant')
  if (tid.toLowerCase() !== tenant.toLowerCase() || (asked && asked.toLowerCase() !== tid.toLowerCase())) {
    return unauthorizedToken(`The access token is from tenant '${tid}', not the registry's tenant.`)
  }
  req.note.tokenOid = String(c.oid ?? '')
  const refresh = deps.tokens.sign({
    ...tokenTimes(REFRESH_LIFETIME),
    sub: String(c.oid ?? ''),
    iss: 'Azure Container Registry',
    aud: reg.loginServer,
    version: '1.0',
    rid: reg.id,
    grant_type: 'refresh_token',
    appid: String(c.appid ?? ''),
    tenant: tid,
    permissions: { actions: ['read'], notActions: [] },
    roles: []
  })
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { refresh_token: refresh } }
}

/** Grants, per requested scope, the actions the principal holds (anonymous: pull only, when enabled). */
export function grant(state: TwinState, principalId: string | undefined, reg: Registry, scopes: Access[]): Access[] {
  return scopes.map((s) => {
    if (s.type === 'registry' && s.name === 'catalog') {
      return { ...s, actions: canListCatalog(state, principalId, reg).allowed ? ['*'] : [] }
    }
    if (s.type !== 'repository') return { ...s, actions: [] }
    const wanted = s.actions.includes('*') ? ['pull', 'push', 'delete', 'metadata_read', 'metadata_write'] : s.actions
    return {
      ...s,
      actions: wanted.filter(
        (a) =>
          ['pull', 'push', 'delete', 'metadata_read', 'metadata_write'].includes(a) &&
          repositoryAccess(state, principalId, reg, s.name, a as RepoAction).allowed
      )
    }
  })
}

function accessToken(deps: AcrAuthDeps, reg: Registry, refresh: Claims | undefined, scopes: Access[]): TwinResponse {
  const principal = refresh ? String(refresh.sub ?? '') : undefined
  const access = grant(deps.state, principal, reg, scopes).map((a) => ({ type: a.type, name: a.name, actions: a.actions }))
  const token = deps.tokens.sign({
    ...tokenTimes(ACCESS_LIFETIME),
    sub: principal ?? '',
    iss: 'Azure Container Registry',
    aud: reg.loginServer,
    version: '1.0',
    rid: reg.id,
    access,
    roles: [],
    grant_type: refresh ? 'refresh_token' : 'anonymous',
    ...(refresh ? { appid: refresh.appid, tenant: refresh.tenant } : {})
  })
  return { status: 200, headers: { 'content-type': 'application/json; charset=utf-8' }, body: { access_token: token } }
}

/** `POST /oauth2/token` (refresh-token grant) and `GET /oauth2/token` (anonymous, or Basic with a refresh token as password). */
function token(deps: AcrAuthDeps, req: TwinRequest, reg: Registry): TwinResponse {
  const post = req.method === 'POST'
  const params = post ? form(req) : req.search
  if ((params.get('service') ?? '').toLowerCase() !== reg.loginServer.toLowerCase()) {
    return distError(400, 'BAD_REQUEST', `service '${params.get('service') ?? ''}' does not match this registry '${reg.loginServer}'`, null)
  }
  const scopes = scopesOf(params)
  const refreshToken = post ? (params.get('refresh_token') ?? undefined) : basicOf(req.headers.authorization)?.password
  if (post && params.get('grant_type') !== 'refresh_token' && params.get('grant_type') !== 'password') {
    return distError(400, 'UNSUPPORTED', `grant_type '${params.get('grant_type') ?? ''}' is not supported; use refresh_token`, null)
  }
  if (!refreshToken) {
    // Anonymous: only a registry with anonymous pull answers it.
    if (!reg.anonymousPullEnabled)
      return unauthorizedToken('authentication required, visit https://aka.ms/acr/authorization for more information.')
    return accessToken(deps, reg, undefined, scopes)
  }
  const refresh = deps.tokens.verify(refreshToken, reg.loginServer)
  if (!refresh || refresh.grant_type !== 'refresh_token') return unauthorizedToken('The refresh token is invalid or expired.')
  req.note.tokenOid = String(refresh.sub ?? '')
  return accessToken(deps, reg, refresh, scopes)
}

export function handleAcrAuth(deps: AcrAuthDeps, req: TwinRequest, reg: Registry): TwinResponse | undefined {
  if (req.path === '/oauth2/exchange' && req.method === 'POST') return exchange(deps, req, reg)
  if (req.path === '/oauth2/token' && (req.method === 'POST' || req.method === 'GET')) return token(deps, req, reg)
  return undefined
}
