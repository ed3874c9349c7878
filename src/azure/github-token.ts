import * as core from '@actions/core'

/** The claims Entra ID matches against a federated credential; kept to explain a refused sign-in. */
export interface FederationClaims {
  issuer: string
  subject: string
  audience: string
}

/** A GitHub token lives five minutes; one younger than this is still fresh enough to exchange. */
const REUSE_FOR_MS = 60 * 1000

/**
 * Hands out GitHub OIDC tokens for the client-assertion exchange. Exchanges after the first minute
 * get a fresh token (an expired one fails with AADSTS700024 on long runs); the exchanges of one
 * sign-in, which MSAL asks for more than once, share one.
 */
export class GithubTokenSource {
  private readonly audience: string
  private recent: { fetched: number; token: Promise<string> } | undefined
  lastClaims: FederationClaims | undefined

  constructor(audience: string) {
    this.audience = audience
  }

  token(): Promise<string> {
    if (this.recent && Date.now() - this.recent.fetched < REUSE_FOR_MS) return this.recent.token
    // getIDToken masks the token itself (setSecret) before anything could print it.
    const token = core.getIDToken(this.audience).then((value) => {
      this.lastClaims = readClaims(value)
      return value
    })
    this.recent = { fetched: Date.now(), token }
    token.catch(() => (this.recent = undefined))
    return token
  }
}

export function readClaims(jwt: string): FederationClaims | undefined {
  const payload = jwt.split('.')[1]
  if (!payload) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    const audience = Array.isArray(claims.aud) ? claims.aud.join(', ') : String(claims.aud ?? '')
    return { issuer: String(claims.iss ?? ''), subject: String(claims.sub ?? ''), audience }
  } catch {
    return undefined
  }
}
