import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/identity'

/** Tokens are renewed this long before they expire, so none expires in flight. */
const RENEW_BEFORE_MS = 5 * 60 * 1000

/**
 * One token exchange per audience per run. Each Azure client asks the credential for a token on
 * its own, and ClientAssertionCredential fetches a GitHub token and calls Entra ID for every ask
 * that misses MSAL's cache, which concurrent first requests always do. Sharing one in-flight
 * request per scope keeps the critical path at one exchange.
 */
export class TokenCache implements TokenCredential {
  private readonly inner: TokenCredential
  private readonly tokens = new Map<string, Promise<AccessToken>>()

  constructor(inner: TokenCredential) {
    this.inner = inner
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const key = [scopes].flat().join(' ')
    const cached = this.tokens.get(key)
    if (cached) {
      const token = await cached.catch(() => undefined)
      if (token && token.expiresOnTimestamp - RENEW_BEFORE_MS > Date.now()) return token
    }
    const request = this.inner.getToken(scopes, options).then((token) => {
      if (!token) throw new Error(`Entra ID returned no token for ${key}`)
      return token
    })
    this.tokens.set(key, request)
    request.catch(() => this.tokens.delete(key))
    return request
  }
}
