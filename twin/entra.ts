import { randomBytes, randomUUID } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from './http.ts'
import { createSigningKey, decodeJwt, nowSeconds, signJwt, verifySignature } from './jwt.ts'
import type { Claims, SigningKey } from './jwt.ts'
import type { TwinState } from './state.ts'

export const ARM_AUDIENCES = [
  'https://management.core.windows.net/',
  'https://management.core.windows.net',
  'https://management.azure.com/',
  'https://management.azure.com',
  'https://management.core.chinacloudapi.cn/',
  'https://management.chinacloudapi.cn/',
  'https://management.chinacloudapi.cn',
  'https://management.core.usgovcloudapi.net/',
  'https://management.usgovcloudapi.net/',
  'https://management.usgovcloudapi.net'
]
export const GRAPH_AUDIENCES = ['https://graph.microsoft.com', 'https://graph.microsoft.com/', '00000003-0000-0000-c000-000000000000']
export const AKS_SERVER_APP = '6dae42f8-4368-4678-94ff-3960e28e3630'
const OTHER_RESOURCES = [AKS_SERVER_APP, 'https://containerregistry.azure.net']
export const KNOWN_RESOURCES = [...ARM_AUDIENCES, ...GRAPH_AUDIENCES, ...OTHER_RESOURCES]

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const FIC_DOC = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation'

/** Entra's own timestamp style inside error texts: `2024-05-31 14:26:23Z`. */
const entraTime = (d = new Date()) =>
  d
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z')
/** The 7-digit-fraction ISO form Entra uses inside AADSTS700024. */
const longIso = (s: number) => new Date(s * 1000).toISOString().replace(/\.\d+Z$/, '.0000000Z')

export function aadError(status: number, error: string, code: number, text: string): TwinResponse {
  const trace = randomUUID()
  const correlation = randomUUID()
  const ts = entraTime()
  return {
    status,
    headers: { 'x-ms-request-id': trace, 'client-request-id': correlation },
    body: {
      error,
      error_description: `AADSTS${code}: ${text} Trace ID: ${trace} Correlation ID: ${correlation} Timestamp: ${ts}`,
      error_codes: [code],
      timestamp: ts,
      trace_id: trace,
      correlation_id: correlation,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`
    }
  }
}

export type TokenCheck =
  { ok: true; claims: Claims } | { ok: false; reason: 'missing' | 'malformed' | 'signature' | 'expired'; claims?: Claims }

/** Who a token is for: an app registration's or a managed identity's service principal. */
export interface TokenSubject {
  tenantId: string
  clientId: string
  objectId: string
  /** Application.Read.All on Graph (apps only). */
  graphRead?: boolean
  /** A managed identity's resource ID: tokens for Azure's own resources carry it as `xms_mirid`. */
  resourceId?: string
}

/** One client-assertion exchange Entra judged: who asked with which assertion (its `jti`, never the assertion). */
export interface FederatedExchange {
  time: string
  tenantId: string
  clientId: string
  issuer: string
  subject: string
  jti: string
  scope: string
  status: number
  /** The AADSTS code of a refusal. */
  code?: number
}

export interface Entra {
  key: SigningKey
  /** Checks signature and lifetime of a bearer token; audience is each service's business. */
  checkBearer(authorization: string | undefined): TokenCheck
  /** An access token for `resource` (a known audience, without `/.default`), as Entra signs them. */
  issue(subject: TokenSubject, resource: string, lifetimeSeconds: number): string
  /** Every client-assertion exchange, in order. */
  exchanges: FederatedExchange[]
  /** Called while an exchange is judged, before it is answered: tests rotate a token file here. */
  onExchange(listener: (exchange: FederatedExchange) => void): () => void
  register(router: Router): void
}

function form(req: TwinRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of new URLSearchParams(req.body.toString('utf8'))) out[k] = v
  return out
}

/**
 * `issuerKey` gives the signing key of an OIDC issuer Entra trusts (GitHub's, an AKS cluster's):
 * real Entra fetches it from the issuer's discovery document when a federated credential names it.
 */
export function createEntra(state: TwinState, issuerKey: (issuer: string) => SigningKey | undefined): Entra {
  const key = createSigningKey()
  const exchanges: FederatedExchange[] = []
  const listeners = new Set<(exchange: FederatedExchange) => void>()

  const issue = (subject: TokenSubject, resource: string, lifetimeSeconds: number): string => {
    const now = nowSeconds()
    const stsIss = `https://sts.windows.net/${subject.tenantId}/`
    const claims: Claims = {
      aud: resource,
      iss: stsIss,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      aio: randomBytes(16).toString('base64url'),
      appid: subject.clientId,
      appidacr: '2',
      idp: stsIss,
      idtyp: 'app',
      oid: subject.objectId,
      rh: randomBytes(12).toString('base64url'),
      sub: subject.objectId,
      tid: subject.tenantId,
      uti: randomBytes(16).toString('base64url'),
      ver: '1.0',
      ...(subject.resourceId ? { xms_mirid: subject.resourceId } : {}),
      ...(GRAPH_AUDIENCES.includes(resource) && subject.graphRead ? { roles: ['Application.Read.All'] } : {})
    }
    return signJwt(key, claims)
  }

  const metadata = (req: TwinRequest, tenant: string): TwinResponse => {
    const t = state.tenant(tenant)
    const generic = /^(common|organizations|consumers)$/i.test(tenant)
    if (!t && !generic) {
      return aadError(
        400,
        'invalid_tenant',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
      )
    }
    const id = t ? t.id : '{tenantid}'
    const b = req.baseUrl
    return {
      status: 200,
      body: {
        token_endpoint: `${b}/${id}/oauth2/v2.0/token`,
        token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
        jwks_uri: `${b}/${id}/discovery/v2.0/keys`,
        response_modes_supported: ['query', 'fragment', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer: `${b}/${id}/v2.0`,
        request_uri_parameter_supported: false,
        userinfo_endpoint: `${b}/oidc/userinfo`,
        authorization_endpoint: `${b}/${id}/oauth2/v2.0/authorize`,
        device_authorization_endpoint: `${b}/${id}/oauth2/v2.0/devicecode`,
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: `${b}/${id}/oauth2/v2.0/logout`,
        claims_supported: [
          'sub',
          'iss',
          'cloud_instance_name',
          'cloud_instance_host_name',
          'cloud_graph_host_name',
          'msgraph_host',
          'aud',
          'exp',
          'iat',
          'auth_time',
          'acr',
          'nonce',
          'preferred_username',
          'name',
          'tid',
          'ver',
          'at_hash',
          'c_hash',
          'email'
        ],
        kerberos_endpoint: `${b}/${id}/kerberos`,
        tenant_region_scope: 'NA',
        cloud_instance_name: 'microsoftonline.com',
        cloud_graph_host_name: 'graph.windows.net',
        msgraph_host: 'graph.microsoft.com',
        rbac_url: 'https://pas.windows.net'
      }
    }
  }

  const ficMismatch = (
    iss: string,
    sub: string,
    aud: string,
    app: { federatedCredentials: { issuer: string; subject: string; audiences: string[] }[] }
  ): TwinResponse => {
    if (state.ficErrorStyle === 'specific') {
      const fics = app.federatedCredentials
      const tail = `Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FIC_DOC}`
      if (!fics.some((f) => f.issuer === iss)) {
        return aadError(
          401,
          'invalid_client',
          700211,
          `No matching federated identity record found for presented assertion issuer '${iss}'. ${tail}`
        )
      }
      if (!fics.some((f) => f.issuer === iss && f.subject === sub)) {
        return aadError(
          401,
          'invalid_client',
          700213,
          `No matching federated identity record found for presented assertion subject '${sub}'. ${tail}`
        )
      }
      return aadError(
        401,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${aud}'. ${tail}`
      )
    }
    return aadError(
      400,
      'invalid_request',
      70021,
      `No matching federated identity record found for presented assertion. Assertion Issuer: '${iss}'. Assertion Subject: '${sub}'. Assertion Audience: '${aud}'. ${FIC_DOC}`
    )
  }

  const token = (req: TwinRequest, tenantParam: string): TwinResponse => {
    const f = form(req)
    const tenant = state.tenant(tenantParam)
    if (!tenant) return metadata(req, tenantParam)
    if (f.grant_type !== 'client_credentials') {
      return aadError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${f.grant_type ?? ''}'.`)
    }
    const app = state.app(tenant.id, f.client_id ?? '')
    if (!app) {
      return aadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${f.client_id ?? ''}' was not found in the directory '${tenant.displayName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
      )
    }
    if (!f.client_assertion || f.client_assertion_type !== JWT_BEARER) {
      return aadError(
        401,
        'invalid_client',
        7000218,
        "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."
      )
    }
    const jwt = decodeJwt(f.client_assertion)
    const c = jwt?.payload ?? {}
    const iss = String(c.iss ?? '')
    const sub = String(c.sub ?? '')
    const auds = Array.isArray(c.aud) ? c.aud.map(String) : [String(c.aud ?? '')]
    const judged = (out: TwinResponse): TwinResponse => {
      const body = out.body as { error_codes?: number[] } | undefined
      const exchange: FederatedExchange = {
        time: new Date().toISOString(),
        tenantId: tenant.id,
        clientId: app.clientId,
        issuer: iss,
        subject: sub,
        jti: String(c.jti ?? ''),
        scope: f.scope ?? '',
        status: out.status,
        ...(body?.error_codes?.[0] ? { code: body.error_codes[0] } : {})
      }
      exchanges.push(exchange)
      for (const listener of listeners) listener(exchange)
      return out
    }
    // Entra trusts an issuer's key only: GitHub's, or an AKS cluster's OIDC issuer (the twin knows no others).
    const signer = issuerKey(iss)
    if (!jwt || (signer && !verifySignature(jwt, signer))) {
      return judged(aadError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.'))
    }
    const now = nowSeconds()
    const exp = Number(c.exp)
    const nbf = Number(c.nbf ?? c.iat ?? 0)
    if (!Number.isFinite(exp) || now >= exp || now < nbf) {
      return judged(
        aadError(
          401,
          'invalid_client',
          700024,
          `Client assertion is not within its valid time range. Current time: ${new Date().toISOString().replace(/Z$/, '0000Z')}, assertion valid from ${longIso(nbf)}, expiry time of assertion ${longIso(Number.isFinite(exp) ? exp : 0)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`
        )
      )
    }
    const match =
      signer !== undefined &&
      app.federatedCredentials.some((fc) => fc.issuer === iss && fc.subject === sub && auds.some((a) => fc.audiences.includes(a)))
    if (!match) return judged(ficMismatch(iss, sub, auds.join(','), app))

    const scopes = (f.scope ?? '').split(' ').filter((s) => s && !/^(openid|profile|offline_access)$/.test(s))
    const scope = scopes[0] ?? ''
    if (!scope.endsWith('/.default')) {
      return judged(
        aadError(
          400,
          'invalid_scope',
          1002012,
          `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
        )
      )
    }
    const resource = scope.slice(0, -'/.default'.length)
    if (!KNOWN_RESOURCES.includes(resource)) {
      return judged(
        aadError(
          400,
          'invalid_resource',
          500011,
          `The resource principal named ${resource} was not found in the tenant named ${tenant.displayName}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
        )
      )
    }
    const accessToken = issue(
      {
        tenantId: tenant.id,
        clientId: app.clientId,
        objectId: app.objectId,
        graphRead: app.graphRead,
        resourceId: app.managedIdentityResourceId
      },
      resource,
      state.tokenLifetimeSeconds
    )
    return judged({
      status: 200,
      body: {
        token_type: 'Bearer',
        expires_in: state.tokenLifetimeSeconds - 1,
        ext_expires_in: state.tokenLifetimeSeconds - 1,
        access_token: accessToken
      }
    })
  }

  /**
   * The same directory behind an ADFS-style authority (`{host}/adfs`). MSAL for Python asks
   * login.microsoftonline.com to vouch for any other authority host before signing in, and the
   * Azure CLI offers no switch to skip that; an authority ending in `/adfs` is trusted as given
   * (AD FS and Azure Stack use it), so this path is how `az login` reaches the twin. AD FS has
   * no tenant in its URLs: the tenant is the one whose app has the request's `client_id`.
   */
  const adfsMetadata = (req: TwinRequest): TwinResponse => {
    const b = `${req.baseUrl}/adfs`
    return {
      status: 200,
      body: {
        issuer: b,
        authorization_endpoint: `${b}/oauth2/authorize/`,
        token_endpoint: `${b}/oauth2/token/`,
        jwks_uri: `${b}/discovery/keys`,
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'client_secret_basic',
          'private_key_jwt',
          'windows_client_authentication'
        ],
        response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token', 'code token', 'code id_token token'],
        response_modes_supported: ['query', 'fragment', 'form_post'],
        grant_types_supported: [
          'authorization_code',
          'refresh_token',
          'client_credentials',
          'urn:ietf:params:oauth:grant-type:jwt-bearer',
          'implicit',
          'password',
          'srv_challenge',
          'urn:ietf:params:oauth:grant-type:device_code',
          'device_code'
        ],
        subject_types_supported: ['pairwise'],
        scopes_supported: [
          'openid',
          'profile',
          'email',
          'allatclaims',
          'aza',
          'vpn_cert',
          'user_impersonation',
          'winhello_cert',
          'logon_cert'
        ],
        id_token_signing_alg_values_supported: ['RS256'],
        access_token_issuer: `${b}/services/trust`,
        device_authorization_endpoint: `${b}/oauth2/devicecode`,
        end_session_endpoint: `${b}/oauth2/logout`
      }
    }
  }

  const adfsToken = (req: TwinRequest): TwinResponse => {
    const clientId = form(req).client_id ?? ''
    const owners = state.apps.filter((a) => a.clientId.toLowerCase() === clientId.toLowerCase())
    if (owners.length !== 1) {
      return aadError(
        400,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory 'adfs'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
      )
    }
    return token(req, owners[0].tenantId)
  }

  return {
    key,
    issue,
    exchanges,
    onExchange(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    checkBearer(authorization) {
      if (!authorization || !/^Bearer\s+\S/i.test(authorization)) return { ok: false, reason: 'missing' }
      const jwt = decodeJwt(authorization.replace(/^Bearer\s+/i, '').trim())
      if (!jwt) return { ok: false, reason: 'malformed' }
      if (!verifySignature(jwt, key)) return { ok: false, reason: 'signature', claims: jwt.payload }
      if (nowSeconds() >= Number(jwt.payload.exp)) return { ok: false, reason: 'expired', claims: jwt.payload }
      return { ok: true, claims: jwt.payload }
    },
    register(router) {
      router.on('GET', /^\/([^/]+)\/v2\.0\/\.well-known\/openid-configuration$/i, (req, m) => metadata(req, m[1]))
      router.on('GET', /^\/common\/discovery\/instance$/i, (req) => ({
        status: 200,
        body: {
          tenant_discovery_endpoint: `${req.baseUrl}/{tenant}/v2.0/.well-known/openid-configuration`,
          'api-version': '1.1',
          metadata: [{ preferred_network: req.host, preferred_cache: req.host, aliases: [req.host] }]
        }
      }))
      router.on('GET', /^\/([^/]+)\/discovery\/v2\.0\/keys$/i, () => ({ status: 200, body: { keys: [key.jwk] } }))
      router.on('POST', /^\/([^/]+)\/oauth2\/v2\.0\/token$/i, (req, m) => token(req, m[1]))
      router.on('GET', /^\/adfs\/\.well-known\/openid-configuration$/i, (req) => adfsMetadata(req))
      router.on('GET', /^\/adfs\/discovery\/keys$/i, () => ({ status: 200, body: { keys: [key.jwk] } }))
      router.on('POST', /^\/adfs\/oauth2\/token\/?$/i, (req) => adfsToken(req))
    }
  }
}
