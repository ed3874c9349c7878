/** The claims Entra ID matches against a federated credential; kept to explain a refused sign-in. */
export interface FederationClaims {
  issuer: string
  subject: string
  audience: string
}

/** Reads them from an assertion (a GitHub or service account token) without verifying anything: only to explain. */
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
