import * as core from '@actions/core'
import { sendRequest } from '../net/http.js'
import { withRetry } from '../net/retry.js'
import { readClaims, type FederationClaims } from './federation-claims.js'

/** A GitHub token lives five minutes; one younger than this is still fresh enough to exchange. */
const REUSE_FOR_MS = 60 * 1000

/** The runner's OIDC endpoint answered, but not with a token. */
export class GithubTokenError extends Error {
  readonly status: number

  constructor(status: number, body: string) {
    const message = readMessage(body)
    super(`GitHub's OIDC endpoint answered HTTP ${status}${message ? `: ${message}` : ''}`)
    this.name = 'GithubTokenError'
    this.status = status
  }
}

/**
 * Hands out GitHub OIDC tokens for the client-assertion exchange, fetched from the runner's
 * endpoint (ACTIONS_ID_TOKEN_REQUEST_URL) through the action's retry policy: a 5xx or a reset
 * connection is retried, which @actions/core's getIDToken does not do for a 500. Exchanges after
 * the first minute get a fresh token (an expired one fails with AADSTS700024 on long runs); the
 * exchanges of one sign-in, which MSAL asks for more than once, share one.
 */
export class GithubTokenSource {
  private readonly requestUrl: string
  private readonly requestToken: string
  private readonly audience: string
  private recent: { fetched: number; token: Promise<string> } | undefined
  lastClaims: FederationClaims | undefined
  /** Why the last fetch failed, to explain a sign-in that never reached Entra ID. */
  lastError: unknown

  constructor(requestUrl: string, requestToken: string, audience: string) {
    this.requestUrl = requestUrl
    this.requestToken = requestToken
    this.audience = audience
  }

  token(): Promise<string> {
    if (this.recent && Date.now() - this.recent.fetched < REUSE_FOR_MS) return this.recent.token
    const token = this.fetch()
    this.recent = { fetched: Date.now(), token }
    token.catch((error: unknown) => {
      this.recent = undefined
      this.lastError = error
    })
    return token
  }

  private async fetch(): Promise<string> {
    const url = new URL(this.requestUrl)
    url.searchParams.set('audience', this.audience)
    const response = await withRetry(
      () => sendRequest({ method: 'GET', url, headers: { authorization: `Bearer ${this.requestToken}`, accept: 'application/json' } }),
      {
        idempotent: true,
        onRetry: (why, waitMs) => core.info(`Retrying the GitHub OIDC token request in ${(waitMs / 1000).toFixed(1)} s: ${why}`)
      }
    )
    if (response.status !== 200) throw new GithubTokenError(response.status, response.text)
    let value: unknown
    try {
      value = (JSON.parse(response.text) as { value?: unknown }).value
    } catch {
      value = undefined
    }
    if (typeof value !== 'string' || !value) throw new GithubTokenError(response.status, 'the answer holds no token')
    core.setSecret(value)
    this.lastClaims = readClaims(value)
    this.lastError = undefined
    return value
  }
}

function readMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown }
    if (typeof parsed.message === 'string') return parsed.message
  } catch {
    // not JSON
  }
  return body.trim().split('\n')[0]!.slice(0, 200)
}
