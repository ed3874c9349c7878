import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import http from 'node:http'
import tls from 'node:tls'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { get as getRegistry } from '@azure/arm-containerregistry/api/registries'
import { startSeeded, credential, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO

/** Opens a CONNECT tunnel by hand; resolves the proxy's status and, if open, the socket. */
function connect(proxyUrl: string, target: string): Promise<{ status: number; socket: import('node:net').Socket }> {
  const u = new URL(proxyUrl)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'CONNECT', path: target })
    req.on('connect', (res, socket) => resolve({ status: res.statusCode ?? 0, socket }))
    req.on('error', reject)
    req.end()
  })
}

describe('CONNECT proxy', () => {
  let h: Harness
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY }
  beforeAll(async () => {
    h = await startSeeded()
    // The SDK's proxy policy reads these when a client is built: set them first.
    process.env.HTTPS_PROXY = h.twin.proxyUrl
    process.env.NO_PROXY = ''
  })
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    await h.close()
  })

  it('the SDK reaches Entra and ARM through the proxy when NO_PROXY is empty', async () => {
    const acr = createContainerRegistryManagement(credential(h.twin), S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-11-01'
    })
    const before = h.twin.requests.length
    const r = await getRegistry(acr, S.RESOURCE_GROUP, S.REGISTRY)
    expect(r.roleAssignmentMode).toBe('LegacyRegistryPermissions')
    const served = h.twin.requests.slice(before)
    expect(served.map((x) => x.path)).toEqual(
      expect.arrayContaining([`/${S.TENANT_ID}/oauth2/v2.0/token`, expect.stringMatching(/registries\/myacr$/)])
    )
    // Everything the SDK sent went through the proxy; the test's own fetch of the GitHub token did not.
    const viaSdk = served.filter((x) => !x.path.startsWith('/github/'))
    expect(viaSdk.length).toBeGreaterThanOrEqual(2)
    expect(viaSdk.every((x) => x.via === 'proxy')).toBe(true)
    expect(h.twin.proxyLog.at(-1)).toMatchObject({ target: `127.0.0.1:${new URL(h.twin.url).port}`, allowed: true })
  })

  it('refuses other hosts and ports with 403 and logs them', async () => {
    for (const target of ['example.com:443', 'management.azure.com:443', 'myacr.azurecr.io:80', '127.0.0.1:22']) {
      const { status, socket } = await connect(h.twin.proxyUrl, target)
      socket.destroy()
      expect(status).toBe(403)
      expect(h.twin.proxyLog.at(-1)).toMatchObject({ target, allowed: false })
    }
  })

  it('tunnels registry hosts to the twin, which knows the original host', async () => {
    const { status, socket } = await connect(h.twin.proxyUrl, 'myacr.azurecr.io:443')
    expect(status).toBe(200)
    const body = await new Promise<string>((resolve, reject) => {
      const t = tls.connect({ socket, servername: 'myacr.azurecr.io' }, () =>
        t.write('GET /v2/ HTTP/1.1\r\nHost: myacr.azurecr.io\r\nConnection: close\r\n\r\n')
      )
      let d = ''
      t.on('data', (c) => (d += c))
      t.on('end', () => resolve(d))
      t.on('error', reject)
    })
    expect(body).toMatch(/^HTTP\/1.1 401/)
    expect(body.toLowerCase()).toContain(
      'www-authenticate: bearer realm="https://myacr.azurecr.io/oauth2/token",service="myacr.azurecr.io"'
    )
    expect(body).toContain('Bearer realm="https://myacr.azurecr.io/oauth2/token",service="myacr.azurecr.io"')
    expect(h.twin.requests.at(-1)).toMatchObject({ host: 'myacr.azurecr.io', path: '/v2/', status: 401, via: 'proxy' })
  })
})
