import { generateKeyPairSync, createSign, createVerify, randomBytes } from 'node:crypto'
import type { KeyObject, JsonWebKey } from 'node:crypto'

export interface SigningKey {
  kid: string
  privateKey: KeyObject
  publicKey: KeyObject
  jwk: JsonWebKey & { kid: string; use: string; alg: string }
}

export type Claims = Record<string, unknown>

export interface DecodedJwt {
  header: Record<string, unknown>
  payload: Claims
  signingInput: string
  signature: Buffer
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url')

export function createSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = randomBytes(12).toString('base64url')
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' }
  return { kid, privateKey, publicKey, jwk }
}

export function signJwt(key: SigningKey, payload: Claims): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: key.kid, x5t: key.kid }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
  const sig = createSign('RSA-SHA256').update(input).sign(key.privateKey)
  return `${input}.${b64url(sig)}`
}

/** An `alg: none` token: what a forged or hand-made assertion looks like. */
export function unsignedJwt(payload: Claims): string {
  return `${b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${b64url(JSON.stringify(payload))}.`
}

export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split('.')
  if (parts.length !== 3) return undefined
  try {
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'))
    const payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'))
    if (typeof header !== 'object' || typeof payload !== 'object' || !header || !payload) return undefined
    return {
      header,
      payload,
      signingInput: `${parts[0]}.${parts[1]}`,
      signature: Buffer.from(parts[2], 'base64url')
    }
  } catch {
    return undefined
  }
}

/** Signature check only; callers judge the claims themselves, as each service does differently. */
export function verifySignature(jwt: DecodedJwt, key: SigningKey): boolean {
  if (jwt.header.alg !== 'RS256' || jwt.signature.length === 0) return false
  return createVerify('RSA-SHA256').update(jwt.signingInput).verify(key.publicKey, jwt.signature)
}

export const nowSeconds = () => Math.floor(Date.now() / 1000)
