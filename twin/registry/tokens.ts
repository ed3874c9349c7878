import { randomUUID } from 'node:crypto'
import { createSigningKey, decodeJwt, nowSeconds, signJwt, verifySignature } from '../jwt.ts'
import type { Claims, SigningKey } from '../jwt.ts'

/**
 * Registry tokens (distribution token spec): a scope asks for actions on a
 * resource, the token's `access` claim says which were granted. ACR, Docker
 * Hub and Quay each sign their own; one key signs them all here, and the
 * audience (the service) keeps them apart.
 */
export interface Access {
  type: string
  name: string
  actions: string[]
}

export interface RegistryTokens {
  key: SigningKey
  sign(claims: Claims): string
  /** Signature, lifetime and audience; undefined when any fails. */
  verify(token: string | undefined, audience: string): Claims | undefined
}

export function createRegistryTokens(): RegistryTokens {
  const key = createSigningKey()
  return {
    key,
    sign: (claims) => signJwt(key, claims),
    verify(token, audience) {
      if (!token) return undefined
      const jwt = decodeJwt(token)
      if (!jwt || !verifySignature(jwt, key)) return undefined
      const c = jwt.payload
      if (nowSeconds() >= Number(c.exp)) return undefined
      return String(c.aud ?? '').toLowerCase() === audience.toLowerCase() ? c : undefined
    }
  }
}

/** `repository:library/nginx:pull,push` → {type, name, actions}; names may contain `/` but not `:`. */
export function parseScope(scope: string): Access | undefined {
  const parts = scope.split(':')
  if (parts.length < 3) return undefined
  const type = parts[0]
  const actions = parts[parts.length - 1].split(',').filter(Boolean)
  const name = parts.slice(1, -1).join(':')
  return type && name ? { type, name, actions } : undefined
}

/** Scopes from a token request: several `scope` parameters and/or space-separated values. */
export function scopesOf(params: URLSearchParams): Access[] {
  return params
    .getAll('scope')
    .flatMap((s) => s.split(' '))
    .map(parseScope)
    .filter((a): a is Access => !!a)
}

export function bearerOf(authorization: string | undefined): string | undefined {
  return authorization && /^Bearer\s+/i.test(authorization) ? authorization.replace(/^Bearer\s+/i, '').trim() : undefined
}

export function basicOf(authorization: string | undefined): { username: string; password: string } | undefined {
  if (!authorization || !/^Basic\s+/i.test(authorization)) return undefined
  const raw = Buffer.from(authorization.replace(/^Basic\s+/i, '').trim(), 'base64').toString('utf8')
  const i = raw.indexOf(':')
  return i < 0 ? undefined : { username: raw.slice(0, i), password: raw.slice(i + 1) }
}

/** Does a verified token's `access` claim allow `action` on `type:name`? (`*` grants everything.) */
export function allows(claims: Claims | undefined, type: string, name: string, action: string): boolean {
  const access = (claims?.access ?? []) as Array<{
    type?: string
    Type?: string
    name?: string
    Name?: string
    actions?: string[]
    Actions?: string[]
  }>
  return access.some(
    (a) =>
      (a.type ?? a.Type) === type && (a.name ?? a.Name) === name && (a.actions ?? a.Actions ?? []).some((x) => x === action || x === '*')
  )
}

export const tokenTimes = (lifetimeSeconds: number) => {
  const now = nowSeconds()
  return { jti: randomUUID(), iat: now, nbf: now, exp: now + lifetimeSeconds }
}
