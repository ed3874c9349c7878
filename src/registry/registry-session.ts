import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'
import { parseChallenge } from './challenge.js'
import { MANIFEST_ACCEPT, type ManifestLookup } from './manifest-digest.js'
import { sendRequest, type HttpResponse } from '../net/http.js'
import { NetworkError } from '../net/network-error.js'
import { withRetry } from '../net/retry.js'

/** How a session proves who it is to one registry host. */
export type RegistryLogin =
  | { kind: 'entra'; tenantId: string; armToken: () => Promise<string> }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'anonymous' }

/**
 * Reads manifests from one registry through the OCI distribution API. `prepare` signs in once for
 * every repository the run needs (one exchange and one token for ACR; one challenge and one token
 * elsewhere), so the lookups that follow run concurrently without each meeting a 401.
 * Requests honour HTTPS_PROXY/NO_PROXY and go through the one retry policy (docs/network.md): every
 * request here is a read or a token request, which may be repeated.
 */
export class RegistrySession {
  readonly host: string
  private readonly login: RegistryLogin
  private authorization: string | undefined
  /** Several import lines often share a source: one HEAD per reference is enough. */
  private readonly lookups = new Map<string, Promise<ManifestLookup>>()

  constructor(host: string, login: RegistryLogin) {
    this.host = host
    this.login = login
  }

  /** `actions` are per repository: `pull` reads manifests; listing tags also needs `metadata_read` on ACR. */
  async prepare(repositories: string[], actions = 'pull'): Promise<void> {
    const scopes = [...new Set(repositories)].map((repository) => `repository:${repository}:${actions}`)
    if (this.login.kind === 'entra') {
      this.authorization = `Bearer ${await this.acrAccessToken(scopes, this.login)}`
      return
    }
    const probe = await this.request(`https://${this.host}/v2/`, { method: 'GET' })
    if (probe.status !== 401) return
    const challenge = parseChallenge(probe.header('www-authenticate') ?? null)
    const basic =
      this.login.kind === 'basic' ? `Basic ${Buffer.from(`${this.login.username}:${this.login.password}`).toString('base64')}` : undefined
    if (challenge?.scheme === 'basic') {
      this.authorization = basic
      return
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) return
    const url = new URL(challenge.params.realm)
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service)
    for (const scope of scopes) url.searchParams.append('scope', scope)
    const response = await this.request(url.toString(), { method: 'GET', headers: basic ? { authorization: basic } : {} })
    if (response.status !== 200) return
    const body = parseJson(response.text) as { token?: string; access_token?: string } | undefined
    const token = body?.token ?? body?.access_token
    if (token) {
      core.setSecret(token)
      this.authorization = `Bearer ${token}`
    }
  }

  /** The digest a tag (or digest) resolves to in `repository`, or why it does not. */
  manifestDigest(repository: string, reference: string): Promise<ManifestLookup> {
    const key = `${repository}@${reference}`
    let lookup = this.lookups.get(key)
    if (!lookup) {
      lookup = this.lookUp(repository, reference)
      this.lookups.set(key, lookup)
      lookup.catch(() => this.lookups.delete(key))
    }
    return lookup
  }

  private async lookUp(repository: string, reference: string): Promise<ManifestLookup> {
    const response = await this.request(`https://${this.host}/v2/${repository}/manifests/${reference}`, {
      method: 'HEAD',
      headers: { accept: MANIFEST_ACCEPT, ...(this.authorization ? { authorization: this.authorization } : {}) }
    })
    const digest = response.header('docker-content-digest')
    const ok = response.status === 200
    if (ok && digest) return { found: true, digest }
    if (ok && reference.startsWith('sha256:')) return { found: true, digest: reference }
    // HEAD has no body; the registry's error code is only worth a GET when the answer is not a plain 404.
    let code: string | undefined
    let message = `HTTP ${response.status}`
    if (response.status !== 404) {
      const detail = await this.request(`https://${this.host}/v2/${repository}/manifests/${reference}`, {
        method: 'GET',
        headers: { accept: MANIFEST_ACCEPT, ...(this.authorization ? { authorization: this.authorization } : {}) }
      })
      const body = parseJson(detail.text) as { errors?: Array<{ code?: string; message?: string }> } | undefined
      code = body?.errors?.[0]?.code
      message = body?.errors?.[0]?.message ?? message
    }
    return { found: false, status: response.status, code, message }
  }

  /** The repository's tags, or undefined when the registry will not list them. */
  async tags(repository: string): Promise<string[] | undefined> {
    const response = await this.request(`https://${this.host}/v2/${repository}/tags/list?n=100`, {
      method: 'GET',
      headers: this.authorization ? { authorization: this.authorization } : {}
    })
    if (response.status !== 200) return response.status === 404 ? [] : undefined
    const body = parseJson(response.text) as { tags?: string[] | null } | undefined
    return body?.tags ?? []
  }

  private async acrAccessToken(scopes: string[], login: Extract<RegistryLogin, { kind: 'entra' }>): Promise<string> {
    const exchange = await this.form('/oauth2/exchange', {
      grant_type: 'access_token',
      service: this.host,
      tenant: login.tenantId,
      access_token: await login.armToken()
    })
    const refreshToken = (exchange as { refresh_token?: string }).refresh_token
    if (!refreshToken) throw new ActionError(`Registry ${this.host} returned no refresh token from /oauth2/exchange`)
    core.setSecret(refreshToken)
    const params = new URLSearchParams({ grant_type: 'refresh_token', service: this.host, refresh_token: refreshToken })
    for (const scope of scopes) params.append('scope', scope)
    const token = (await this.form('/oauth2/token', params)) as { access_token?: string }
    if (!token.access_token) throw new ActionError(`Registry ${this.host} returned no access token from /oauth2/token`)
    core.setSecret(token.access_token)
    return token.access_token
  }

  private async form(path: string, fields: Record<string, string> | URLSearchParams): Promise<unknown> {
    const response = await this.request(`https://${this.host}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString()
    })
    const text = response.text
    if (response.status !== 200) {
      throw new ActionError(`Registry ${this.host} refused to sign in the action (${path})`, {
        code: `HTTP ${response.status}`,
        detail: text.slice(0, 300),
        hint: 'The signed-in identity needs a role that may pull from this registry (AcrPull, or Container Registry Repository Reader on an ABAC-mode registry)'
      })
    }
    const body = parseJson(text)
    if (body === undefined)
      throw new ActionError(`Registry ${this.host} answered ${path} with something that is not JSON`, { detail: text.slice(0, 200) })
    return body
  }

  private async request(url: string, init: { method: string; headers?: Record<string, string>; body?: string }): Promise<HttpResponse> {
    try {
      return await withRetry(() => sendRequest({ url, ...init }), {
        idempotent: true,
        onRetry: (why, waitMs) => core.info(`Retrying ${init.method} ${url} in ${(waitMs / 1000).toFixed(1)} s: ${why}`)
      })
    } catch (error) {
      throw new ActionError(`Could not reach registry ${this.host}`, {
        code: error instanceof NetworkError ? error.code : undefined,
        detail: error instanceof NetworkError ? error.reason : errorMessage(error),
        hint: 'Check network access from the runner (HTTPS_PROXY/NO_PROXY on self-hosted runners)',
        cause: error
      })
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
