import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { ContainerRegistryClient, KnownContainerRegistryAudience } from '@azure/container-registry'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { importImage } from '@azure/arm-containerregistry/api/registries'
import type { TokenCredential } from '@azure/core-auth'
import { startSeeded, credential, addCaller, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { viaProxy, sha256, challengeOf, form, FORM, jwtPayload } from './registry-helpers.ts'
import { repositoryCondition } from '../../twin/registry/abac.ts'
import { QUAY_PRIVATE } from '../../twin/registry/catalog.ts'

const S = SCENARIO
const ACR = 'myacr.azurecr.io'
const ABAC = 'abacacr.azurecr.io'
const ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json'

describe('registry data planes through the proxy', () => {
  let h: Harness
  let puller: { objectId: string; cred: TokenCredential }
  let stranger: TokenCredential
  const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY }

  /** An identity of the scenario tenant, signing in with its own federated credential. */
  const identity = (clientId: string, subject: string) => {
    const app = addCaller(h.twin, clientId, subject)
    return { objectId: app.objectId, cred: credential(h.twin, { clientId, claims: { sub: subject } }) }
  }
  const armToken = async (cred: TokenCredential) => (await cred.getToken(S.ARM_SCOPE))!.token

  /** The two-step ACR login a client does: Entra token → refresh token → access token for `scopes`. */
  async function acrAccessToken(host: string, cred: TokenCredential, scopes: string[]) {
    const ex = await viaProxy(h.twin, `https://${host}/oauth2/exchange`, {
      method: 'POST',
      headers: FORM,
      body: form({ grant_type: 'access_token', service: host, tenant: S.TENANT_ID, access_token: await armToken(cred) })
    })
    expect(ex.status).toBe(200)
    const refresh = ex.json().refresh_token as string
    const tok = await viaProxy(h.twin, `https://${host}/oauth2/token`, {
      method: 'POST',
      headers: FORM,
      body: form({ grant_type: 'refresh_token', service: host, scope: scopes, refresh_token: refresh })
    })
    expect(tok.status).toBe(200)
    return { refresh, access: tok.json().access_token as string }
  }

  beforeAll(async () => {
    h = await startSeeded()
    process.env.HTTPS_PROXY = h.twin.proxyUrl
    process.env.NO_PROXY = ''
    h.twin.addImage(h.scenario.registry, 'nginx:1.27', { from: 'docker.io/library/nginx:1.27' })
    h.twin.addImage(h.scenario.registry, 'nginx:stable', { from: 'docker.io/library/nginx:stable' })
    h.twin.addImage(h.scenario.registry, 'web/app:1.0', { shape: { kind: 'manifest' } })
    puller = identity('bbbbbbbb-1111-4222-8333-444444444444', 'repo:octo-org/octo-app:environment:pull')
    h.twin.addRoleAssignment({ scope: h.scenario.registry.id, role: 'AcrPull', principalId: puller.objectId })
    stranger = identity('cccccccc-1111-4222-8333-444444444444', 'repo:octo-org/octo-app:environment:none').cred
  })
  afterAll(async () => {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    await h.close()
  })

  describe('ACR with @azure/container-registry (exchange flow, ARM audience)', () => {
    const client = (cred: TokenCredential) =>
      new ContainerRegistryClient(`https://${ACR}`, cred, { audience: KnownContainerRegistryAudience.AzureResourceManagerPublicCloud })

    it('reads manifest properties by tag and by digest, lists tags and repositories', async () => {
      const c = client(puller.cred)
      const props = await c.getArtifact('nginx', '1.27').getManifestProperties()
      expect(props.digest).toBe(h.twin.tagDigest('docker.io', 'library/nginx', '1.27'))
      expect(props.tags).toEqual(['1.27'])
      expect(props.relatedArtifacts.map((r) => r.architecture)).toEqual(['amd64', 'arm64'])
      const single = await c.getArtifact('web/app', '1.0').getManifestProperties()
      expect(single).toMatchObject({ architecture: 'amd64', operatingSystem: 'linux', repositoryName: 'web/app' })
      const byDigest = await c.getArtifact('nginx', props.digest).getManifestProperties()
      expect(byDigest.digest).toBe(props.digest)

      const tags: string[] = []
      for await (const t of c.getArtifact('nginx', 'stable').listTagProperties()) tags.push(t.name)
      expect(tags.sort()).toEqual(['1.27', 'stable'])
      const repos: string[] = []
      for await (const r of c.listRepositoryNames()) repos.push(r)
      expect(repos).toEqual(['nginx', 'web/app'])
      // Everything went through the proxy, with the registry's Host.
      const acrCalls = h.twin.requests.filter((r) => r.host === ACR)
      expect(acrCalls.length).toBeGreaterThan(0)
      expect(acrCalls.every((r) => r.via === 'proxy')).toBe(true)
      expect(acrCalls.map((r) => r.path)).toEqual(expect.arrayContaining(['/oauth2/exchange', '/oauth2/token', '/acr/v1/nginx/_tags/1.27']))
    })

    it('a principal without pull gets 401 on the manifest; a missing tag is TAG_UNKNOWN', async () => {
      const err = await client(stranger)
        .getArtifact('nginx', '1.27')
        .getManifestProperties()
        .catch((e) => e)
      expect(err).toMatchObject({ name: 'RestError', statusCode: 401 })
      const missing = await client(puller.cred)
        .getArtifact('nginx', 'nope')
        .getManifestProperties()
        .catch((e) => e)
      expect(missing).toMatchObject({ statusCode: 404 })
      expect(missing.message).toContain('the specified tag does not exist')
    })
  })

  describe('ACR OCI distribution API by hand', () => {
    it('challenges /v2/, exchanges an Entra token, grants per-repository access, serves HEAD/GET with digest headers', async () => {
      const v2 = await viaProxy(h.twin, `https://${ACR}/v2/`)
      expect(v2.status).toBe(401)
      expect(v2.headers['www-authenticate']).toBe(`Bearer realm="https://${ACR}/oauth2/token",service="${ACR}"`)

      const { refresh, access } = await acrAccessToken(ACR, puller.cred, ['repository:nginx:pull,push', 'repository:web/app:pull'])
      expect(jwtPayload(refresh)).toMatchObject({ sub: puller.objectId, tenant: S.TENANT_ID, aud: ACR, grant_type: 'refresh_token' })
      expect(jwtPayload(access).access).toEqual([
        { type: 'repository', name: 'nginx', actions: ['pull'] },
        { type: 'repository', name: 'web/app', actions: ['pull'] }
      ])

      const digest = h.twin.tagDigest(ACR, 'nginx', '1.27')!
      const head = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/1.27`, {
        method: 'HEAD',
        headers: { Authorization: `Bearer ${access}`, Accept: ACCEPT }
      })
      expect(head.status).toBe(200)
      expect(head.body.length).toBe(0)
      expect(head.headers).toMatchObject({ 'docker-content-digest': digest, 'content-type': 'application/vnd.oci.image.index.v1+json' })
      const get = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/1.27`, {
        headers: { Authorization: `Bearer ${access}`, Accept: ACCEPT }
      })
      expect(get.status).toBe(200)
      expect(Number(head.headers['content-length'])).toBe(get.body.length)
      expect(sha256(get.body)).toBe(digest)
      expect(get.json().manifests).toHaveLength(2)
      const byDigest = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/${get.json().manifests[0].digest}`, {
        headers: { Authorization: `Bearer ${access}` }
      })
      expect(byDigest.status).toBe(200)
      expect(byDigest.headers['content-type']).toBe('application/vnd.oci.image.manifest.v1+json')
    })

    it("answers ACR's 404s and 401s: MANIFEST_UNKNOWN, NAME_UNKNOWN, UNAUTHORIZED with the scope challenge", async () => {
      const { access } = await acrAccessToken(ACR, puller.cred, ['repository:nginx:pull', 'repository:ghost:pull'])
      const tag = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/nope`, { headers: { Authorization: `Bearer ${access}` } })
      expect(tag.status).toBe(404)
      expect(tag.json()).toEqual({
        errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest tagged by "nope" is not found', detail: { Tag: 'nope' } }]
      })
      const repo = await viaProxy(h.twin, `https://${ACR}/v2/ghost/manifests/latest`, { headers: { Authorization: `Bearer ${access}` } })
      expect(repo.status).toBe(404)
      expect(repo.json().errors[0]).toMatchObject({ code: 'NAME_UNKNOWN', message: 'repository name not known to registry' })

      const none = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/1.27`)
      expect(none.status).toBe(401)
      expect(none.headers['www-authenticate']).toBe(
        `Bearer realm="https://${ACR}/oauth2/token",service="${ACR}",scope="repository:nginx:pull"`
      )
      expect(none.json()).toEqual({
        errors: [
          {
            code: 'UNAUTHORIZED',
            message: 'authentication required, visit https://aka.ms/acr/authorization for more information.',
            detail: [{ Type: 'repository', Name: 'nginx', Action: 'pull' }]
          }
        ]
      })

      // A stranger gets a refresh token (rights are not checked at exchange) but an access token with nothing in it.
      const s = await acrAccessToken(ACR, stranger, ['repository:nginx:pull'])
      expect(jwtPayload(s.access).access).toEqual([{ type: 'repository', name: 'nginx', actions: [] }])
      const denied = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/1.27`, { headers: { Authorization: `Bearer ${s.access}` } })
      expect(denied.status).toBe(401)
      // ...so a missing tag and a denied pull look the same to it.
      const deniedMissing = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/nope`, {
        headers: { Authorization: `Bearer ${s.access}` }
      })
      expect(deniedMissing.status).toBe(401)

      // tags/list needs metadata_read, which pull alone does not carry.
      const list = await viaProxy(h.twin, `https://${ACR}/v2/nginx/tags/list`, { headers: { Authorization: `Bearer ${access}` } })
      expect(list.status).toBe(401)
      expect(challengeOf(list.headers['www-authenticate']).scope).toBe('repository:nginx:metadata_read')
    })

    it('anonymous token requests: 401 unless anonymous pull is enabled', async () => {
      const url = `https://${ACR}/oauth2/token?service=${ACR}&scope=repository:nginx:pull`
      expect((await viaProxy(h.twin, url)).status).toBe(401)
      h.scenario.registry.anonymousPullEnabled = true
      try {
        const ok = await viaProxy(h.twin, url)
        expect(ok.status).toBe(200)
        const m = await viaProxy(h.twin, `https://${ACR}/v2/nginx/manifests/1.27`, {
          headers: { Authorization: `Bearer ${ok.json().access_token}` }
        })
        expect(m.status).toBe(200)
      } finally {
        h.scenario.registry.anonymousPullEnabled = false
      }
    })

    it('refuses an Entra token for the wrong audience or tenant at exchange', async () => {
      const graph = (await credential(h.twin).getToken(S.GRAPH_SCOPE))!.token
      const ex = await viaProxy(h.twin, `https://${ACR}/oauth2/exchange`, {
        method: 'POST',
        headers: FORM,
        body: form({ grant_type: 'access_token', service: ACR, access_token: graph })
      })
      expect(ex.status).toBe(401)
      expect(ex.json().errors[0].code).toBe('UNAUTHORIZED')
      const other = await viaProxy(h.twin, `https://${ACR}/oauth2/exchange`, {
        method: 'POST',
        headers: FORM,
        body: form({
          grant_type: 'access_token',
          service: ACR,
          tenant: '00000000-1111-4222-8333-444444444444',
          access_token: await armToken(puller.cred)
        })
      })
      expect(other.status).toBe(401)
    })
  })

  describe('ABAC-mode registry with repository conditions', () => {
    it('grants pull only on the repositories the condition names; AcrPull is not honoured', async () => {
      const abac = h.twin.addRegistry({
        subscriptionId: S.SUB,
        resourceGroup: S.RESOURCE_GROUP,
        name: 'abacacr',
        roleAssignmentMode: 'AbacRepositoryPermissions'
      })
      for (const r of ['team-a/web:1', 'team-b/web:1', 'shared/base:1']) h.twin.addImage(abac, r)
      const dev = identity('dddddddd-1111-4222-8333-444444444444', 'repo:octo-org/octo-app:environment:abac')
      h.twin.addRoleAssignment({ scope: abac.id, role: 'AcrPull', principalId: dev.objectId })
      let t = await acrAccessToken(ABAC, dev.cred, ['repository:team-a/web:pull'])
      expect(jwtPayload(t.access).access[0].actions).toEqual([])

      h.twin.addRoleAssignment({
        scope: `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}`,
        role: 'Container Registry Repository Reader',
        principalId: dev.objectId,
        condition: repositoryCondition([{ startsWith: 'team-a/' }, { equals: 'shared/base' }]),
        conditionVersion: '2.0'
      })
      t = await acrAccessToken(ABAC, dev.cred, [
        'repository:team-a/web:pull',
        'repository:team-b/web:pull',
        'repository:shared/base:pull,metadata_read'
      ])
      expect(jwtPayload(t.access).access).toEqual([
        { type: 'repository', name: 'team-a/web', actions: ['pull'] },
        { type: 'repository', name: 'team-b/web', actions: [] },
        { type: 'repository', name: 'shared/base', actions: ['pull', 'metadata_read'] }
      ])
      const auth = { Authorization: `Bearer ${t.access}` }
      expect((await viaProxy(h.twin, `https://${ABAC}/v2/team-a/web/manifests/1`, { headers: auth })).status).toBe(200)
      expect((await viaProxy(h.twin, `https://${ABAC}/v2/team-b/web/manifests/1`, { headers: auth })).status).toBe(401)
      expect((await viaProxy(h.twin, `https://${ABAC}/v2/shared/base/tags/list`, { headers: auth })).json()).toEqual({
        name: 'shared/base',
        tags: ['1']
      })
      // Repository roles do not list the catalog.
      const cat = await acrAccessToken(ABAC, dev.cred, ['registry:catalog:*'])
      expect(jwtPayload(cat.access).access).toEqual([{ type: 'registry', name: 'catalog', actions: [] }])
    })
  })

  describe('public registries', () => {
    it('Docker Hub: /v2/ challenge, anonymous token at auth.docker.io, manifest with the digest the imported ACR copy has', async () => {
      h.twin.state.importDurationMs = 50
      const arm = createContainerRegistryManagement(credential(h.twin), S.SUB, {
        endpoint: h.twin.url,
        credentials: { scopes: [S.ARM_SCOPE] },
        apiVersion: '2025-11-01'
      })
      await importImage(
        arm,
        S.RESOURCE_GROUP,
        S.REGISTRY,
        { source: { registryUri: 'docker.io', sourceImage: 'library/nginx:1.27' }, targetTags: ['imported/nginx:1.27'] },
        { updateIntervalInMs: 20 }
      ).pollUntilDone()
      const v2 = await viaProxy(h.twin, 'https://registry-1.docker.io/v2/')
      expect(v2.status).toBe(401)
      const ch = challengeOf(v2.headers['www-authenticate'])
      expect(ch).toEqual({ realm: 'https://auth.docker.io/token', service: 'registry.docker.io' })
      const tok = await viaProxy(h.twin, `${ch.realm}?service=${ch.service}&scope=repository:library/nginx:pull`)
      expect(tok.status).toBe(200)
      expect(Object.keys(tok.json()).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token'])
      const noToken = await viaProxy(h.twin, 'https://registry-1.docker.io/v2/library/nginx/manifests/1.27')
      expect(noToken.status).toBe(401)
      expect(challengeOf(noToken.headers['www-authenticate']).scope).toBe('repository:library/nginx:pull')
      const m = await viaProxy(h.twin, 'https://registry-1.docker.io/v2/library/nginx/manifests/1.27', {
        headers: { Authorization: `Bearer ${tok.json().token}`, Accept: ACCEPT }
      })
      expect(m.status).toBe(200)
      expect(m.headers['docker-content-digest']).toBe(sha256(m.body))
      expect(m.headers['docker-content-digest']).toBe(h.twin.tagDigest(ACR, 'imported/nginx', '1.27'))
      const { access } = await acrAccessToken(ACR, credential(h.twin), ['repository:imported/nginx:pull'])
      const copy = await viaProxy(h.twin, `https://${ACR}/v2/imported/nginx/manifests/1.27`, {
        headers: { Authorization: `Bearer ${access}`, Accept: ACCEPT }
      })
      expect(copy.body.equals(m.body)).toBe(true)
      const missing = await viaProxy(h.twin, 'https://registry-1.docker.io/v2/library/nginx/manifests/nope', {
        headers: { Authorization: `Bearer ${tok.json().token}` }
      })
      expect(missing.json()).toEqual({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: 'nope' } }] })
      expect(h.twin.proxyLog.some((e) => e.target === 'auth.docker.io:443' && e.allowed)).toBe(true)
    })

    it('MCR answers anonymously; quay.io wants basic credentials for the private repository', async () => {
      const mcr = await viaProxy(h.twin, 'https://mcr.microsoft.com/v2/dotnet/runtime/manifests/8.0')
      expect(mcr.status).toBe(200)
      expect(mcr.headers['content-type']).toBe('application/vnd.docker.distribution.manifest.list.v2+json')
      expect(mcr.headers['docker-content-digest']).toBe(h.twin.tagDigest('mcr.microsoft.com', 'dotnet/runtime', '8.0'))

      const q = await viaProxy(h.twin, 'https://quay.io/v2/')
      expect(challengeOf(q.headers['www-authenticate'])).toEqual({ realm: 'https://quay.io/v2/auth', service: 'quay.io' })
      const scope = 'service=quay.io&scope=repository:contoso/private-app:pull'
      const anon = await viaProxy(h.twin, `https://quay.io/v2/auth?${scope}`)
      const denied = await viaProxy(h.twin, 'https://quay.io/v2/contoso/private-app/manifests/1.0', {
        headers: { Authorization: `Bearer ${anon.json().token}` }
      })
      expect(denied.status).toBe(401)
      const basic = 'Basic ' + Buffer.from(`${QUAY_PRIVATE.username}:${QUAY_PRIVATE.password}`).toString('base64')
      const tok = await viaProxy(h.twin, `https://quay.io/v2/auth?${scope}`, { headers: { Authorization: basic } })
      const ok = await viaProxy(h.twin, 'https://quay.io/v2/contoso/private-app/manifests/1.0', {
        headers: { Authorization: `Bearer ${tok.json().token}` }
      })
      expect(ok.status).toBe(200)
      const wrong = await viaProxy(h.twin, `https://quay.io/v2/auth?${scope}`, {
        headers: { Authorization: 'Basic ' + Buffer.from('contoso+deployer:nope').toString('base64') }
      })
      expect(wrong.status).toBe(401)
    })
  })
})
