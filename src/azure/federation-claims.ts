/** The claims Entra ID matches against a federated credential; kept to explain a refused sign-in. */
export interface FederationClaims {
  issuer: string
  subject: string
  audience: string
}

/** A JWT's payload, decoded without verifying anything (only to explain and to name who signed in); {} when unreadable. */
export function jwtPayload(jwt: string): Record<string, unknown> {
  try {
    const payload = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown
    return typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Reads them from an assertion (a GitHub or service account token) without verifying anything: only to explain. */
export function readClaims(jwt: string): FederationClaims | undefined {
  const claims = jwtPayload(jwt)
  if (Object.keys(claims).length === 0) return undefined
  const audience = Array.isArray(claims.aud) ? claims.aud.join(', ') : String(claims.aud ?? '')
  return { issuer: String(claims.iss ?? ''), subject: String(claims.sub ?? ''), audience }
}
