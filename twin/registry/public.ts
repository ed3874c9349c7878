import type { TwinRequest, TwinResponse } from '../http.ts'
import type { TwinState } from '../state.ts'
import { DOCKER_HUB } from './reference.ts'
import { distError, serveManifest, tagsList, unauthorized } from './distribution.ts'
import type { Flavor } from './distribution.ts'
import { allows, basicOf, bearerOf, scopesOf, tokenTimes } from './tokens.ts'
import type { RegistryTokens } from './tokens.ts'
import { badCredentialsBody, credentialsKnown, upstreamAccess } from './upstream.ts'

/**
 * The data planes of Docker Hub, MCR and Quay as clients meet them through the
 * proxy. Docker Hub and Quay challenge every request and hand out tokens at
 * their own realm; MCR answers anonymously, with no challenge at all.
 */
const DOCKER = { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' }
const QUAY = { realm: 'https://quay.io/v2/auth', service: 'quay.io' }

export const DOCKER_HUB_HOSTS = ['registry-1.docker.io', 'index.docker.io', 'docker.io']

export interface PublicDeps {
  state: TwinState
  tokens: RegistryTokens
}

const challenge = (a: { realm: string; service: string }, scope?: string, insufficient = false) =>
  `Bearer realm="${a.realm}",service="${a.service}"${scope ? `,scope="${scope}"` : ''}${insufficient ? ',error="insufficient_scope"' : ''}`

/** The token endpoint of Docker Hub (`auth.docker.io/token`) or Quay (`quay.io/v2/auth`). */
function issueToken(deps: PublicDeps, req: TwinRequest, flavor: Flavor, host: string, service: string): TwinResponse {
  const params = req.search
  const creds = basicOf(req.headers.authorization)
  if (!credentialsKnown(deps.state, host, creds)) {
    return { status: 401, headers: { 'content-type': 'application/json' }, body: badCredentialsBody(flavor) }
  }
  // The token carries only what the caller may have: nothing for private or missing repositories.
  const granted: Array<{ type: string; name: string; actions: string[] }> = []
  for (const s of scopesOf(params)) {
    if (s.type !== 'repository') continue
    const access = upstreamAccess(deps.state, host, s.name, creds)
    if (access === 'public' || access === 'granted')
      granted.push({ type: 'repository', name: s.name, actions: s.actions.filter((a) => a === 'pull') })
  }
  const t = tokenTimes(300)
  const token = deps.tokens.sign({
    ...t,
    iss: flavor === 'quay' ? 'quay' : 'auth.docker.io',
    aud: service,
    sub: creds?.username ?? '',
    access: granted
  })
  const body =
    flavor === 'quay' ? { token } : { token, access_token: token, expires_in: 300, issued_at: new Date(t.iat * 1000).toISOString() }
  return { status: 200, headers: { 'content-type': 'application/json' }, body }
}

/** Manifests and tag lists, behind a token where the registry wants one. */
function content(
  deps: PublicDeps,
  req: TwinRequest,
  flavor: Flavor,
  host: string,
  auth?: { realm: string; service: string }
): TwinResponse | undefined {
  const m = /^\/v2\/(.+)\/(manifests\/([^/]+)|tags\/list)$/.exec(req.path)
  if (!m) return undefined
  const repo = m[1]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return distError(405, 'UNSUPPORTED', 'The operation is unsupported.', null)
  }
  if (auth) {
    const token = bearerOf(req.headers.authorization)
    const claims = deps.tokens.verify(token, auth.service)
    if (!allows(claims, 'repository', repo, 'pull')) {
      return unauthorized(flavor, repo, 'pull', challenge(auth, `repository:${repo}:pull`, !!claims))
    }
  } else if (upstreamAccess(deps.state, host, repo) === 'denied') {
    return unauthorized(
      flavor,
      repo,
      'pull',
      `Bearer realm="https://${req.host}/oauth2/token",service="${req.host}",scope="repository:${repo}:pull"`
    )
  }
  const store = deps.state.contentOf(host)
  return m[3] ? serveManifest(flavor, store, repo, m[3]) : tagsList(store, repo, req.query, req.path)
}

/** Answers a request for one of the public registries' hosts, or undefined when it is not one. */
export function handlePublic(deps: PublicDeps, req: TwinRequest): TwinResponse | undefined {
  const h = req.host
  if (h === 'auth.docker.io') {
    return req.path === '/token' ? issueToken(deps, req, 'dockerhub', DOCKER_HUB, DOCKER.service) : undefined
  }
  if (DOCKER_HUB_HOSTS.includes(h)) {
    if (/^\/v2\/?$/.test(req.path)) {
      return deps.tokens.verify(bearerOf(req.headers.authorization), DOCKER.service)
        ? { status: 200, headers: { 'Docker-Distribution-Api-Version': 'registry/2.0' }, body: {} }
        : distError(401, 'UNAUTHORIZED', 'authentication required', null, { 'WWW-Authenticate': challenge(DOCKER) })
    }
    return content(deps, req, 'dockerhub', DOCKER_HUB, DOCKER)
  }
  if (h === 'quay.io') {
    if (req.path === '/v2/auth') return issueToken(deps, req, 'quay', 'quay.io', QUAY.service)
    if (/^\/v2\/?$/.test(req.path)) {
      return deps.tokens.verify(bearerOf(req.headers.authorization), QUAY.service)
        ? { status: 200, body: {} }
        : distError(401, 'UNAUTHORIZED', 'access to the requested resource is not authorized', {}, { 'WWW-Authenticate': challenge(QUAY) })
    }
    return content(deps, req, 'quay', 'quay.io', QUAY)
  }
  if (h === 'mcr.microsoft.com') {
    if (/^\/v2\/?$/.test(req.path)) return { status: 200, headers: { 'Docker-Distribution-Api-Version': 'registry/2.0' }, body: {} }
    return content(deps, req, 'mcr', 'mcr.microsoft.com')
  }
  return undefined
}
