import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startTwin } from '../../twin/index.ts'
import type { Twin } from '../../twin/index.ts'
import { trustTwinCa } from '../../twin/trust.ts'
import { decodeJwt } from '../../twin/jwt.ts'
import { fetchGithubToken } from './helpers.ts'

describe('GitHub OIDC token endpoint (what the runner offers)', () => {
  let twin: Twin
  let untrust: () => void
  beforeAll(async () => {
    twin = await startTwin()
    untrust = trustTwinCa(twin.caPem)
  })
  afterAll(async () => {
    untrust()
    await twin.close()
  })

  it('requires the request token', async () => {
    expect((await fetch(twin.github.requestUrl)).status).toBe(401)
    expect((await fetch(twin.github.requestUrl, { headers: { Authorization: 'Bearer nope' } })).status).toBe(401)
  })

  it('answers {value: JWT} with GitHub-like claims; audience from the query, default the owner URL', async () => {
    const rt = twin.github.requestToken()
    const res = await fetch(twin.github.requestUrl, { headers: { Authorization: `Bearer ${rt}` } })
    const { value } = (await res.json()) as { value: string }
    const jwt = decodeJwt(value)!
    expect(jwt.header).toMatchObject({ alg: 'RS256', typ: 'JWT' })
    expect(jwt.payload).toMatchObject({
      iss: 'https://token.actions.githubusercontent.com',
      sub: 'repo:octo-org/octo-app:ref:refs/heads/main',
      aud: 'https://github.com/octo-org',
      repository: 'octo-org/octo-app',
      repository_owner: 'octo-org',
      ref: 'refs/heads/main'
    })
    expect(Number(jwt.payload.exp) - Number(jwt.payload.iat)).toBe(300)
    expect(jwt.payload.environment).toBeUndefined()
    const withAud = decodeJwt(await fetchGithubToken(twin, rt, 'api://AzureADTokenExchange'))!
    expect(withAud.payload.aud).toBe('api://AzureADTokenExchange')
    expect(withAud.payload.jti).not.toBe(jwt.payload.jti)
  })

  it('different request tokens carry different claims, concurrently', async () => {
    const a = twin.github.requestToken({ environment: 'prod' })
    const b = twin.github.requestToken({ repository: 'other-org/svc', ref: 'refs/tags/v1' })
    const [ta, tb] = await Promise.all([fetchGithubToken(twin, a), fetchGithubToken(twin, b)])
    expect(decodeJwt(ta)!.payload).toMatchObject({ sub: 'repo:octo-org/octo-app:environment:prod', environment: 'prod' })
    expect(decodeJwt(tb)!.payload).toMatchObject({
      sub: 'repo:other-org/svc:ref:refs/tags/v1',
      repository_owner: 'other-org',
      ref_type: 'tag'
    })
  })

  it('signs with a key only the twin knows; forgeries are available for negative tests', async () => {
    const unsigned = await fetchGithubToken(twin, twin.github.requestToken({}, { forge: 'unsigned' }))
    expect(decodeJwt(unsigned)!.header.alg).toBe('none')
    const good = decodeJwt(await fetchGithubToken(twin, twin.github.requestToken()))!
    const forged = decodeJwt(await fetchGithubToken(twin, twin.github.requestToken({}, { forge: 'wrong-key' })))!
    const keyRes = await fetch(`${twin.url}/github/.well-known/jwks`)
    expect(((await keyRes.json()) as { keys: unknown[] }).keys).toHaveLength(1)
    expect(good.header.kid).not.toBe(forged.header.kid)
  })
})
