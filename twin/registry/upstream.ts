import type { TwinState } from '../state.ts'
import type { Manifest } from './content.ts'
import { closure, resolve } from './content.ts'
import { DOCKER_HUB } from './reference.ts'
import { manifestUnknown, nameUnknown, unauthorizedBody } from './distribution.ts'
import type { Flavor } from './distribution.ts'

/**
 * Who may read what from the public registries: Docker Hub, MCR and Quay.
 * Public repositories are open to anyone, private ones (added with
 * credentials) to those credentials; credentials a registry does not know
 * fail at its token endpoint, whatever is asked.
 */
export type UpstreamAccess = 'public' | 'granted' | 'denied' | 'badcreds' | 'absent'

export interface Credentials {
  username: string
  password: string
}

export function flavorOf(host: string): Flavor | undefined {
  if (host === DOCKER_HUB) return 'dockerhub'
  if (host === 'mcr.microsoft.com') return 'mcr'
  if (host === 'quay.io') return 'quay'
  return undefined
}

/** No credentials, or credentials of an account the registry has (any of its private repositories' owners). */
export function credentialsKnown(state: TwinState, host: string, creds?: Credentials): boolean {
  if (!creds) return true
  return [...state.upstreamCredentials].some(
    ([k, a]) => k.startsWith(host + '/') && a.username === creds.username && a.password === creds.password
  )
}

export function upstreamAccess(state: TwinState, host: string, repo: string, creds?: Credentials): UpstreamAccess {
  if (!credentialsKnown(state, host, creds)) return 'badcreds'
  const privateTo = state.upstreamCredentials.get(`${host}/${repo}`)
  if (privateTo) return creds && creds.username === privateTo.username && creds.password === privateTo.password ? 'granted' : 'denied'
  return state.contentOf(host).repositories.has(repo) ? 'public' : 'absent'
}

/** What a registry's token endpoint answers to credentials it does not know. */
export function badCredentialsBody(flavor: Flavor): unknown {
  return flavor === 'quay' ? { error: 'Invalid Username or Password' } : { details: 'incorrect username or password' }
}

export type PullResult = { ok: true; manifests: Manifest[] } | { ok: false; status: number; body: unknown }

/**
 * A server-side pull as ACR's importer does it: token, then manifest. The
 * failure is the registry's own status and body, which the import reports.
 */
export function pullFromUpstream(state: TwinState, host: string, repo: string, reference: string, creds?: Credentials): PullResult {
  const flavor = flavorOf(host)
  if (!flavor) return { ok: false, status: 404, body: 'Not Found' }
  const access = upstreamAccess(state, host, repo, creds)
  if (access === 'badcreds') return { ok: false, status: 401, body: badCredentialsBody(flavor) }
  // Docker Hub and Quay do not say whether a repository exists to someone who may not see it.
  if (access === 'denied' || (access === 'absent' && flavor !== 'mcr')) {
    return { ok: false, status: 401, body: { errors: [unauthorizedBody(flavor, repo, 'pull')] } }
  }
  const content = state.contentOf(host)
  if (access === 'absent') return { ok: false, status: 404, body: nameUnknown(repo).body }
  const m = resolve(content, repo, reference)
  if (!m) return { ok: false, status: 404, body: manifestUnknown(flavor, reference).body }
  return { ok: true, manifests: closure(content, m.digest) }
}
