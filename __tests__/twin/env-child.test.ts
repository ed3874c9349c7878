import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startTwin } from '../../twin/index.ts'
import type { Twin } from '../../twin/index.ts'

const run = promisify(execFile)

/** What the e2e tests rely on: a child `node` given twin.env() trusts the CA, gets OIDC tokens directly and reaches registries through the proxy. */
describe('twin.env() in a child process', () => {
  let twin: Twin
  beforeAll(async () => {
    twin = await startTwin()
  })
  afterAll(async () => {
    await twin.close()
  })

  it('works with plain fetch on Node 24', async () => {
    const script = `
      const oidc = await fetch(process.env.ACTIONS_ID_TOKEN_REQUEST_URL + '&audience=api://AzureADTokenExchange', { headers: { Authorization: 'Bearer ' + process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN } })
      const reg = await fetch('https://myacr.azurecr.io/v2/')
      let blocked
      try { await fetch('https://example.com/'); blocked = 'reached' } catch (e) { blocked = 'refused' }
      console.log(JSON.stringify({ oidc: oidc.status, reg: reg.status, auth: reg.headers.get('www-authenticate'), blocked }))`
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH ?? '', ...twin.env() }
    })
    expect(JSON.parse(stdout)).toEqual({
      oidc: 200,
      reg: 401,
      auth: 'Bearer realm="https://myacr.azurecr.io/oauth2/token",service="myacr.azurecr.io"',
      blocked: 'refused'
    })
    const oidc = twin.requests.find((r) => r.path === '/github/_apis/idtoken')
    expect(oidc?.via).toBe('direct')
    expect(twin.proxyLog.map((p) => [p.target, p.allowed])).toEqual([
      ['myacr.azurecr.io:443', true],
      ['example.com:443', false]
    ])
  })
})
