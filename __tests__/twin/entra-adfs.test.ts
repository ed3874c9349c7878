import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, fetchGithubToken, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { decodeJwt } from '../../twin/jwt.ts'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'

/**
 * The ADFS-style authority the Azure CLI signs in through (MSAL for Python trusts `{host}/adfs`
 * without asking login.microsoftonline.com): the calls MSAL makes there, in its order. The az
 * suite (`__tests__/az`) is the real judge; this pins the answers without needing az.
 */
describe('Entra behind an ADFS-style authority ({host}/adfs)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  const tokenRequest = async (clientId: string) => {
    const assertion = await fetchGithubToken(h.twin, h.twin.github.requestToken())
    const metadata = (await (await fetch(`${h.twin.url}/adfs/.well-known/openid-configuration`)).json()) as Record<string, string>
    const res = await fetch(metadata.token_endpoint!, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        scope: SCENARIO.ARM_SCOPE,
        client_assertion_type: JWT_BEARER,
        client_assertion: assertion
      })
    })
    return { metadata, status: res.status, body: (await res.json()) as Record<string, any> }
  }

  it('serves AD FS metadata whose endpoints stay under /adfs, and issues the tenant token of the app', async () => {
    const { metadata, status, body } = await tokenRequest(SCENARIO.CLIENT_ID)
    expect(metadata).toMatchObject({
      issuer: `${h.twin.url}/adfs`,
      token_endpoint: `${h.twin.url}/adfs/oauth2/token/`,
      authorization_endpoint: `${h.twin.url}/adfs/oauth2/authorize/`,
      jwks_uri: `${h.twin.url}/adfs/discovery/keys`
    })
    expect(status).toBe(200)
    expect(decodeJwt(body.access_token)!.payload).toMatchObject({
      tid: SCENARIO.TENANT_ID,
      oid: SCENARIO.APP_OBJECT_ID,
      aud: 'https://management.core.windows.net/'
    })
  })

  it('names an unknown client in AADSTS700016, and federated credentials are still checked', async () => {
    const unknown = await tokenRequest('00000000-1111-4222-8333-444444444444')
    expect(unknown.status).toBe(400)
    expect(unknown.body.error_codes).toEqual([700016])
    const other = h.twin.addApp({
      tenantId: SCENARIO.TENANT_ID,
      clientId: '99999999-0000-4000-8000-000000000081',
      federatedCredentials: [{ issuer: SCENARIO.ISSUER, subject: 'repo:someone/else:ref:refs/heads/main', audiences: [SCENARIO.AUDIENCE] }]
    })
    const mismatch = await tokenRequest(other.clientId)
    expect(mismatch.body.error_codes).toEqual([70021])
  })
})
