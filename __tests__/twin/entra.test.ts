import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, fetchGithubToken, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { decodeJwt } from '../../twin/jwt.ts'

const ARM = SCENARIO.ARM_SCOPE

describe('Entra ID twin with the real @azure/identity', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('issues an ARM token for a matching federated credential, and MSAL calls only metadata + token', async () => {
    const before = h.twin.requests.length
    const token = await credential(h.twin).getToken(ARM)
    expect(token?.token).toBeTruthy()
    const claims = decodeJwt(token!.token)!.payload
    expect(claims).toMatchObject({
      aud: 'https://management.core.windows.net/',
      iss: `https://sts.windows.net/${SCENARIO.TENANT_ID}/`,
      tid: SCENARIO.TENANT_ID,
      oid: SCENARIO.APP_OBJECT_ID,
      appid: SCENARIO.CLIENT_ID
    })
    expect(Number(claims.exp) - Number(claims.iat)).toBe(3600)
    const calls = new Set(h.twin.requests.slice(before).map((r) => `${r.method} ${r.path}`))
    expect([...calls].sort()).toEqual(
      [
        `GET /${SCENARIO.TENANT_ID}/v2.0/.well-known/openid-configuration`,
        'GET /github/_apis/idtoken',
        `POST /${SCENARIO.TENANT_ID}/oauth2/v2.0/token`
      ].sort()
    )
  })

  it('gives a Graph token the audience https://graph.microsoft.com', async () => {
    const token = await credential(h.twin).getToken(SCENARIO.GRAPH_SCOPE)
    expect(decodeJwt(token!.token)!.payload.aud).toBe('https://graph.microsoft.com')
  })

  it('surfaces AADSTS70021 with the presented issuer, subject and audience', async () => {
    const err = await credential(h.twin, { claims: { ref: 'refs/heads/feature' } })
      .getToken(ARM)
      .catch((e) => e)
    // @azure/identity 4.13 wraps MSAL's ServerError: the AADSTS text survives only in the message.
    expect(err.name).toBe('AuthenticationRequiredError')
    expect(err.message).toMatch(/^invalid_request: Error\(s\): 70021 - Timestamp: .* - Description: AADSTS70021: /)
    expect(err.message).toContain('AADSTS70021: No matching federated identity record found for presented assertion.')
    expect(err.message).toContain(
      `Assertion Issuer: '${SCENARIO.ISSUER}'. Assertion Subject: 'repo:octo-org/octo-app:ref:refs/heads/feature'. Assertion Audience: '${SCENARIO.AUDIENCE}'.`
    )
  })

  it('an environment job presents an environment subject', async () => {
    const err = await credential(h.twin, { claims: { environment: 'prod' } })
      .getToken(ARM)
      .catch((e) => e)
    expect(err.message).toContain("Assertion Subject: 'repo:octo-org/octo-app:environment:prod'")
  })

  it('a wrong audience on the GitHub token is a mismatch too', async () => {
    const err = await credential(h.twin, { audience: 'https://github.com/octo-org' })
      .getToken(ARM)
      .catch((e) => e)
    expect(err.message).toContain("Assertion Audience: 'https://github.com/octo-org'")
  })

  it('AADSTS700016 for an app that is not in the tenant', async () => {
    const err = await credential(h.twin, { clientId: '00000000-1111-2222-3333-444444444444' })
      .getToken(ARM)
      .catch((e) => e)
    expect(err.message).toContain(
      `AADSTS700016: Application with identifier '00000000-1111-2222-3333-444444444444' was not found in the directory '${SCENARIO.TENANT_NAME}'.`
    )
    expect(err.message).toMatch(/^unauthorized_client: /)
  })

  it('AADSTS90002 for an unknown tenant comes at metadata discovery, and MSAL hides it', async () => {
    const bad = '12345678-aaaa-bbbb-cccc-1234567890ab'
    const err = await credential(h.twin, { tenantId: bad })
      .getToken(ARM)
      .catch((e) => e)
    // What the action sees: no AADSTS code at all.
    expect(err.name).toBe('CredentialUnavailableError')
    expect(err.message).toContain('endpoints_resolution_error')
    const res = await fetch(`${h.twin.url}/${bad}/v2.0/.well-known/openid-configuration`)
    expect(res.status).toBe(400)
    const body = (await res.json()) as { error: string; error_description: string }
    expect(body.error).toBe('invalid_tenant')
    expect(body.error_description).toContain(
      `AADSTS90002: Tenant '${bad}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`
    )
  })

  it('AADSTS700024 for an expired assertion', async () => {
    const past = Math.floor(Date.now() / 1000) - 900
    const err = await credential(h.twin, { claims: { iat: past, nbf: past, exp: past + 300 } })
      .getToken(ARM)
      .catch((e) => e)
    expect(err.message).toContain('AADSTS700024: Client assertion is not within its valid time range.')
    expect(err.message).toMatch(/^invalid_client: /)
  })

  it('AADSTS50027 for an unsigned or foreign-signed assertion', async () => {
    for (const forge of ['unsigned', 'wrong-key'] as const) {
      const err = await credential(h.twin, { forge })
        .getToken(ARM)
        .catch((e) => e)
      expect(err.message).toContain('AADSTS50027: JWT token is invalid or malformed.')
    }
  })

  it("answers token errors in Entra's JSON shape", async () => {
    const assertion = await fetchGithubToken(h.twin, h.twin.github.requestToken({ ref: 'refs/heads/x' }))
    const res = await fetch(`${h.twin.url}/${SCENARIO.TENANT_ID}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: SCENARIO.CLIENT_ID,
        scope: ARM,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: assertion
      })
    })
    expect(res.status).toBe(400)
    const body = (await res.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual([
      'correlation_id',
      'error',
      'error_codes',
      'error_description',
      'error_uri',
      'timestamp',
      'trace_id'
    ])
    expect(body.error_codes).toEqual([70021])
    expect(String(body.error_description)).toMatch(
      / Trace ID: [0-9a-f-]{36} Correlation ID: [0-9a-f-]{36} Timestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/
    )
  })

  it('the specific style answers AADSTS700213 for a subject mismatch', async () => {
    h.twin.state.ficErrorStyle = 'specific'
    try {
      const err = await credential(h.twin, { claims: { ref: 'refs/heads/dev' } })
        .getToken(ARM)
        .catch((e) => e)
      expect(err.message).toContain(
        "AADSTS700213: No matching federated identity record found for presented assertion subject 'repo:octo-org/octo-app:ref:refs/heads/dev'."
      )
    } finally {
      h.twin.state.ficErrorStyle = 'legacy'
    }
  })
})
