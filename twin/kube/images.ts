/**
 * What a node's containerd would make of an image: parse it the way the
 * kubelet does (docker reference grammar), then pull it from the twin's
 * registries with the cluster's kubelet identity. The failure texts are
 * containerd's and the kubelet's own; docs/azure.md quotes the ACR 401.
 */
import type { Cluster, TwinState } from '../state.ts'
import { canPull } from '../registry/permissions.ts'
import { resolve } from '../registry/content.ts'
import { canonicalHost } from '../registry/reference.ts'
import { flavorOf, upstreamAccess } from '../registry/upstream.ts'
import type { Credentials } from '../registry/upstream.ts'

export interface ImageRef {
  /** As written in the pod spec: the kubelet quotes this one. */
  image: string
  host: string
  repository: string
  tag?: string
  digest?: string
  /** containerd's fully qualified form (`docker.io/library/nginx:latest`): quoted in its errors. */
  normalized: string
}

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[0-9a-fA-F]{32,}$/

/** The kubelet's `applyDefaultImageTag` + distribution's ParseNormalizedNamed; error text for InvalidImageName. */
export function parseImage(image: string): ImageRef | { error: string } {
  const fail = (why = 'invalid reference format') => ({
    error: `Failed to apply default image tag "${image}": couldn't parse image name "${image}": ${why}`
  })
  if (!image || /\s/.test(image)) return fail()
  let rest = image
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return fail()
  }
  let tag: string | undefined
  const colon = rest.lastIndexOf(':')
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return fail()
  }
  const parts = rest.split('/')
  const first = parts[0]
  const hasHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  let host = hasHost ? first : 'docker.io'
  const path = (hasHost ? parts.slice(1) : parts).join('/')
  if (!path) return fail()
  if (path !== path.toLowerCase()) {
    const shown = host === 'docker.io' && !path.includes('/') ? `library/${path}` : path
    return fail(`invalid reference format: repository name (${shown}) must be lowercase`)
  }
  if (!path.split('/').every((c) => COMPONENT.test(c))) return fail()
  if (!/^[a-zA-Z0-9.-]+(:\d+)?$/.test(host)) return fail()
  host = canonicalHost(host)
  const repository = host === 'docker.io' && !path.includes('/') ? `library/${path}` : path
  if (!tag && !digest) tag = 'latest'
  const normalized = `${host}/${repository}${tag ? ':' + tag : ''}${digest ? '@' + digest : ''}`
  return { image, host, repository, tag, digest, normalized }
}

export type PullOutcome = { ok: true; digest: string; size: number } | { ok: false; message: string }

const unpack = (ref: ImageRef, why: string) =>
  `failed to pull and unpack image "${ref.normalized}": failed to resolve reference "${ref.normalized}": ${why}`

/**
 * One pull attempt by the node: the registry's answer to the kubelet identity (an ACR) or to the
 * pod's image pull credentials for the image (anything else). With several matching logins each is
 * tried in turn and the errors are aggregated, as the kubelet does; none means an anonymous pull.
 */
export function pullImage(state: TwinState, cluster: Cluster, ref: ImageRef, credentials: Credentials[] = []): PullOutcome {
  const reference = ref.digest ?? ref.tag!
  const acr = state.registryByLoginServer(ref.host)
  if (acr) {
    const decision = canPull(state, cluster.pullPrincipalId, acr, ref.repository)
    if (!decision.allowed) {
      const scope = encodeURIComponent(`repository:${ref.repository}:pull`)
      return {
        ok: false,
        message: unpack(
          ref,
          `failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${acr.loginServer}/oauth2/token?scope=${scope}&service=${acr.loginServer}: 401 Unauthorized`
        )
      }
    }
    const m = resolve(state.contentOf(ref.host), ref.repository, reference)
    if (!m) return { ok: false, message: unpack(ref, `${ref.normalized}: not found`) }
    return { ok: true, digest: m.digest, size: m.imageSize }
  }
  const flavor = flavorOf(ref.host)
  if (flavor) {
    if (credentials.length === 0) return pullUpstream(state, ref, flavor, undefined)
    const failures: string[] = []
    for (const login of credentials) {
      const out = pullUpstream(state, ref, flavor, login)
      if (out.ok) return out
      failures.push(out.message)
    }
    return { ok: false, message: failures.length === 1 ? failures[0] : `[${failures.join(', ')}]` }
  }
  const path = `${ref.repository}/manifests/${reference}`
  return {
    ok: false,
    message: unpack(
      ref,
      `failed to do request: Head "https://${ref.host}/v2/${path}": dial tcp: lookup ${ref.host} on 168.63.129.16:53: no such host`
    )
  }
}

/** The token endpoints containerd asks, with its query as it encodes it (sorted: scope, then service). */
const TOKEN_ENDPOINT: Record<string, { url: string; service: string; unauthorized: string }> = {
  dockerhub: { url: 'https://auth.docker.io/token', service: 'registry.docker.io', unauthorized: '401 Unauthorized' },
  quay: { url: 'https://quay.io/v2/auth', service: 'quay.io', unauthorized: '401 UNAUTHORIZED' }
}

function pullUpstream(
  state: TwinState,
  ref: ImageRef,
  flavor: NonNullable<ReturnType<typeof flavorOf>>,
  login: Credentials | undefined
): PullOutcome {
  const reference = ref.digest ?? ref.tag!
  const access = upstreamAccess(state, ref.host, ref.repository, login)
  const endpoint = TOKEN_ENDPOINT[flavor]
  if (access === 'badcreds' && endpoint) {
    // With credentials containerd asks for an OAuth token; refused there, it retries with a GET, refused too.
    const query = `scope=${encodeURIComponent(`repository:${ref.repository}:pull`)}&service=${encodeURIComponent(endpoint.service)}`
    return {
      ok: false,
      message: unpack(
        ref,
        `failed to authorize: failed to fetch oauth token: unexpected status from GET request to ${endpoint.url}?${query}: ${endpoint.unauthorized}`
      )
    }
  }
  if (access === 'denied' || access === 'badcreds' || (access === 'absent' && flavor !== 'mcr')) {
    return {
      ok: false,
      message: unpack(
        ref,
        'pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed'
      )
    }
  }
  const m = resolve(state.contentOf(ref.host), ref.repository, reference)
  if (!m) return { ok: false, message: unpack(ref, `${ref.normalized}: not found`) }
  return { ok: true, digest: m.digest, size: m.imageSize }
}
