import * as core from '@actions/core'
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity'
import { ActionError } from '../errors.js'

/** Tokens are renewed this long before they expire (or a quarter of their life, if that is shorter). */
const RENEW_BEFORE_MS = 5 * 60 * 1000

interface Held {
  token: Promise<AccessToken>
  obtainedAt: number
}

/**
 * One token exchange per audience at a time. Each Azure client asks the credential for a token on
 * its own, and ClientAssertionCredential fetches a GitHub token and calls Entra ID for every ask
 * that misses MSAL's cache, which concurrent first requests always do. Sharing one in-flight
 * request per scope keeps the critical path at one exchange. Tokens are renewed before they
 * expire, so a rollout longer than a token's life keeps working (Entra tokens live 60-90 minutes),
 * and every token handed out is masked in the log.
 */
export class TokenCache implements TokenCredential {
  private readonly inner: TokenCredential
  private readonly tokens = new Map<string, Held>()

  constructor(inner: TokenCredential) {
    this.inner = inner
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const key = [scopes].flat().join(' ')
    const held = this.tokens.get(key)
    if (held) {
      const token = await held.token.catch(() => undefined)
      if (token && Date.now() < renewAt(token, held.obtainedAt)) return token
      // Another caller may already have started the renewal while this one waited.
      const current = this.tokens.get(key)
      if (current && current !== held) return current.token
    }
    return this.fetch(key, scopes, options)
  }

  /** Forgets the token for `scopes` (a server refused it): the next ask fetches a new one. */
  invalidate(scopes: string | string[]): void {
    this.tokens.delete([scopes].flat().join(' '))
  }

  private fetch(key: string, scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const token = this.inner.getToken(scopes, options).then((result) => {
      if (!result) throw new ActionError(`Entra ID returned no token for ${key}`)
      core.setSecret(result.token)
      return result
    })
    const held = { token, obtainedAt: Date.now() }
    this.tokens.set(key, held)
    token.catch(() => {
      if (this.tokens.get(key) === held) this.tokens.delete(key)
    })
    return token
  }
}

function renewAt(token: AccessToken, obtainedAt: number): number {
  const life = token.expiresOnTimestamp - obtainedAt
  return token.expiresOnTimestamp - Math.min(RENEW_BEFORE_MS, Math.max(0, life / 4))
}
