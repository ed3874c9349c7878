import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { importImage } from '@azure/arm-containerregistry/api/registries'
import type { ImportImageParameters } from '@azure/arm-containerregistry'
import type { TokenCredential } from '@azure/core-auth'
import { startSeeded, credential, addCaller, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { QUAY_PRIVATE } from '../../twin/registry/catalog.ts'

const S = SCENARIO
const ACR = 'myacr.azurecr.io'

describe('importImage (2025-11-01) with the real @azure/arm-containerregistry poller', () => {
  let h: Harness
  let sharedId: string
  const client = (cred: TokenCredential = credential(h.twin)) =>
    createContainerRegistryManagement(cred, S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-11-01'
    })
  const run = (p: ImportImageParameters, cred?: TokenCredential) =>
    importImage(client(cred), S.RESOURCE_GROUP, S.REGISTRY, p, { updateIntervalInMs: 50 }).pollUntilDone()
  const failure = (p: ImportImageParameters, cred?: TokenCredential) =>
    run(p, cred).then(
      () => undefined,
      (e) => e
    )

  beforeAll(async () => {
    h = await startSeeded()
    // A registry in the other subscription, with content of its own.
    const shared = h.twin.addRegistry({ subscriptionId: S.OTHER_SUB, resourceGroup: 'shared-rg', name: 'sharedacr' })
    sharedId = shared.id
    h.twin.addImage(shared, 'base/runtime:2.0')
  })
  afterAll(async () => {
    await h.close()
  })

  it('imports from Docker Hub: 202 + Location only, 202 Pending while running, 200 Succeeded; same digest as upstream', async () => {
    const before = h.twin.requests.length
    await run({ source: { registryUri: 'docker.io', sourceImage: 'library/nginx:1.27' }, targetTags: ['nginx:1.27'], mode: 'NoForce' })
    const upstream = h.twin.tagDigest('docker.io', 'library/nginx', '1.27')
    expect(upstream).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(h.twin.tagDigest(ACR, 'nginx', '1.27')).toBe(upstream)
    const served = h.twin.requests
      .slice(before)
      .filter((r) => !r.path.includes('oauth2') && !r.path.includes('openid') && !r.path.startsWith('/github'))
    expect(served[0]).toMatchObject({ method: 'POST', status: 202, path: expect.stringMatching(/\/registries\/myacr\/importImage$/) })
    const polls = served.slice(1)
    expect(
      polls.every((r) =>
        /\/providers\/Microsoft\.ContainerRegistry\/locations\/EASTUS\/operationResults\/registries-[0-9a-f-]{36}$/.test(r.path)
      )
    ).toBe(true)
    expect(polls.at(-1)!.status).toBe(200)
    expect(polls.slice(0, -1).every((r) => r.status === 202)).toBe(true)
  })

  it('answers polls with ACR bodies: {"<target>":"Pending","status":"Accepted"} then {"status":"Succeeded"}', async () => {
    const token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
    const post = await fetch(
      `${h.twin.url}/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerRegistry/registries/${S.REGISTRY}/importImage?api-version=2025-11-01`,
      {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({
          source: { registryUri: 'mcr.microsoft.com', sourceImage: 'oss/nginx/nginx:1.27' },
          targetTags: ['oss/nginx:1.27'],
          mode: 'NoForce'
        })
      }
    )
    expect(post.status).toBe(202)
    expect(await post.text()).toBe('')
    expect(post.headers.get('retry-after')).toBeNull()
    const location = post.headers.get('location')!
    expect(location).toMatch(
      new RegExp(
        `^${h.twin.url}/subscriptions/${S.SUB}/providers/Microsoft\\.ContainerRegistry/locations/EASTUS/operationResults/registries-[0-9a-f-]+\\?api-version=2025-11-01$`
      )
    )
    const running = await fetch(location, { headers: { Authorization: `Bearer ${token}` } })
    expect(running.status).toBe(202)
    expect(await running.json()).toEqual({ 'oss/nginx:1.27': 'Pending', status: 'Accepted' })
    expect(running.headers.get('location')).toBe(location)
    await new Promise((r) => setTimeout(r, h.twin.state.importDurationMs + 20))
    const done = await fetch(location, { headers: { Authorization: `Bearer ${token}` } })
    expect(done.status).toBe(200)
    expect(await done.json()).toEqual({ status: 'Succeeded' })
  })

  it('imports from MCR (a single-platform Docker manifest) and from quay.io with credentials', async () => {
    await run({
      source: { registryUri: 'mcr.microsoft.com', sourceImage: 'azuredocs/aks-helloworld:v1' },
      targetTags: ['aks-helloworld:v1']
    })
    expect(h.twin.tagDigest(ACR, 'aks-helloworld', 'v1')).toBe(h.twin.tagDigest('mcr.microsoft.com', 'azuredocs/aks-helloworld', 'v1'))
    expect(h.twin.imagesOf(ACR).find((i) => i.repository === 'aks-helloworld')!.mediaType).toBe(
      'application/vnd.docker.distribution.manifest.v2+json'
    )

    await run({
      source: {
        registryUri: 'quay.io',
        sourceImage: 'contoso/private-app:1.0',
        credentials: { username: QUAY_PRIVATE.username, password: QUAY_PRIVATE.password }
      },
      targetTags: ['private-app:1.0']
    })
    expect(h.twin.tagDigest(ACR, 'private-app', '1.0')).toBe(h.twin.tagDigest('quay.io', 'contoso/private-app', '1.0'))
  })

  it('imports from an ACR in another subscription by resourceId, no credentials; by digest; into untagged repositories', async () => {
    await run({ source: { resourceId: sharedId, sourceImage: 'base/runtime:2.0' }, targetTags: ['base/runtime:2.0'] })
    const digest = h.twin.tagDigest('sharedacr.azurecr.io', 'base/runtime', '2.0')!
    expect(h.twin.tagDigest(ACR, 'base/runtime', '2.0')).toBe(digest)

    const nginx = h.twin.tagDigest('docker.io', 'library/nginx', 'stable')!
    await run({
      source: { registryUri: 'registry.hub.docker.com', sourceImage: `library/nginx@${nginx}` },
      targetTags: ['pinned/nginx:stable'],
      untaggedTargetRepositories: ['mirror/nginx']
    })
    expect(h.twin.tagDigest(ACR, 'pinned/nginx', 'stable')).toBe(nginx)
    const mirror = h.twin.state.contentOf(ACR).repositories.get('mirror/nginx')!
    expect(mirror.tags.size).toBe(0)
    expect(mirror.manifests.has(nginx)).toBe(true)
    // An index comes with its platform manifests.
    expect(mirror.manifests.size).toBe(3)
  })

  it("fails with the source registry's own words: missing tag, repository Docker Hub will not name, private repo without or with wrong credentials", async () => {
    const missing = await failure({
      source: { registryUri: 'docker.io', sourceImage: 'library/nginx:no-such-tag' },
      targetTags: ['nginx:x']
    })
    expect(missing).toMatchObject({ name: 'RestError', statusCode: 400, code: 'InvalidParameters' })
    expect(missing.message).toBe(
      'Invalid message NotFound Not Found {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"no-such-tag"}}]}'
    )

    // ACR does not add `library/`: docker.io/nginx is a repository Docker Hub will not admit exists.
    const bare = await failure({ source: { registryUri: 'docker.io', sourceImage: 'nginx:1.27' }, targetTags: ['nginx:bare'] })
    expect(bare.message).toBe(
      'Invalid message Unauthorized Unauthorized {"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":[{"Type":"repository","Class":"","Name":"nginx","Action":"pull"}]}]}'
    )

    const mcr = await failure({
      source: { registryUri: 'mcr.microsoft.com', sourceImage: 'azuredocs/aks-helloworld:v9' },
      targetTags: ['x:1']
    })
    expect(mcr.message).toBe(
      'Invalid message NotFound Not Found {"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest tagged by \\"v9\\" is not found","detail":{"Tag":"v9"}}]}'
    )

    const noCreds = await failure({ source: { registryUri: 'quay.io', sourceImage: 'contoso/private-app:1.0' }, targetTags: ['p:1'] })
    expect(noCreds.message).toBe(
      'Invalid message Unauthorized Unauthorized {"errors":[{"code":"UNAUTHORIZED","message":"access to the requested resource is not authorized","detail":{}}]}'
    )
    const wrong = await failure({
      source: {
        registryUri: 'quay.io',
        sourceImage: 'contoso/private-app:1.0',
        credentials: { username: 'contoso+deployer', password: 'nope' }
      },
      targetTags: ['p:1']
    })
    expect(wrong.message).toBe('Invalid message Unauthorized Unauthorized {"error":"Invalid Username or Password"}')
    expect(h.twin.tagDigest(ACR, 'p', '1')).toBeUndefined()
  })

  it('NoForce refuses an existing tag before copying anything; Force overwrites', async () => {
    h.twin.addImage(S.REGISTRY + '.azurecr.io', 'app:prod')
    const mine = h.twin.tagDigest(ACR, 'app', 'prod')
    const err = await failure({
      source: { registryUri: 'docker.io', sourceImage: 'library/redis:7' },
      targetTags: ['app:new', 'app:prod'],
      mode: 'NoForce'
    })
    expect(err).toMatchObject({ statusCode: 400, code: 'InvalidParameters', message: 'Tag app:prod already exists in target registry.' })
    expect(h.twin.tagDigest(ACR, 'app', 'new')).toBeUndefined()
    expect(h.twin.tagDigest(ACR, 'app', 'prod')).toBe(mine)
    await run({ source: { registryUri: 'docker.io', sourceImage: 'library/redis:7' }, targetTags: ['app:prod'], mode: 'Force' })
    expect(h.twin.tagDigest(ACR, 'app', 'prod')).toBe(h.twin.tagDigest('docker.io', 'library/redis', '7'))
  })

  it('validates synchronously: malformed source image, missing targets, bad resourceId', async () => {
    const img = await failure({ source: { registryUri: 'docker.io', sourceImage: 'Library/NGINX::1' }, targetTags: ['x:1'] })
    expect(img).toMatchObject({ statusCode: 400, code: 'InvalidParameters' })
    expect(h.twin.requests.at(-1)).toMatchObject({ method: 'POST', status: 400 })
    const none = await failure({ source: { registryUri: 'docker.io', sourceImage: 'library/nginx:1.27' } })
    expect(none).toMatchObject({ statusCode: 400, code: 'InvalidParameters' })
    const rid = await failure({ source: { resourceId: 'docker.io/library/nginx', sourceImage: 'library/nginx:1.27' }, targetTags: ['x:1'] })
    expect(rid).toMatchObject({ statusCode: 400, code: 'LinkedInvalidPropertyId' })
    expect(rid.message).toBe(
      "Property id 'docker.io/library/nginx' at path 'source.resourceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'."
    )
  })

  it('needs importImage/action on the target (403 AuthorizationFailed), and pull on a source given by resourceId (403 LinkedAuthorizationFailed)', async () => {
    const app = addCaller(h.twin, 'aaaaaaaa-1111-4222-8333-444444444444', 'repo:octo-org/octo-app:environment:import')
    const cred = credential(h.twin, { clientId: app.clientId, claims: { sub: 'repo:octo-org/octo-app:environment:import' } })
    const p = { source: { registryUri: 'docker.io', sourceImage: 'library/busybox:latest' }, targetTags: ['busybox:latest'] }
    const denied = await failure(p, cred)
    expect(denied).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    expect(denied.message).toContain(
      "does not have authorization to perform action 'Microsoft.ContainerRegistry/registries/importImage/action'"
    )

    h.twin.addRoleAssignment({
      scope: h.scenario.registry.id,
      role: 'Container Registry Data Importer and Data Reader',
      principalId: app.objectId
    })
    await run(p, cred)
    expect(h.twin.tagDigest(ACR, 'busybox', 'latest')).toBe(h.twin.tagDigest('docker.io', 'library/busybox', 'latest'))

    const linked = await failure({ source: { resourceId: sharedId, sourceImage: 'base/runtime:2.0' }, targetTags: ['r:2'] }, cred)
    expect(linked).toMatchObject({ statusCode: 403, code: 'LinkedAuthorizationFailed' })
    expect(linked.message).toContain(
      `does not have permission to perform action(s) 'Microsoft.ContainerRegistry/registries/pull/read' on the linked scope(s) '${sharedId}'`
    )
    h.twin.addRoleAssignment({ scope: sharedId, role: 'AcrPull', principalId: app.objectId })
    await run({ source: { resourceId: sharedId, sourceImage: 'base/runtime:2.0' }, targetTags: ['r:2'] }, cred)
    expect(h.twin.tagDigest(ACR, 'r', '2')).toBe(h.twin.tagDigest('sharedacr.azurecr.io', 'base/runtime', '2.0'))
  })

  it('runs 20 imports at once, each to completion on its own', async () => {
    const sources = ['library/nginx:latest', 'library/nginx:1.27', 'library/redis:7', 'library/alpine:3.20', 'library/busybox:latest']
    const since = h.twin.requests.length
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        run({
          source: { registryUri: 'docker.io', sourceImage: sources[i % sources.length] },
          targetTags: [`many/img${i}:v1`],
          mode: 'NoForce'
        })
      )
    )
    for (let i = 0; i < 20; i++) {
      const [repo, tag] = sources[i % sources.length].split(':')
      expect(h.twin.tagDigest(ACR, `many/img${i}`, 'v1')).toBe(h.twin.tagDigest('docker.io', repo, tag))
    }
    // Concurrent, not queued: the twin accepted all 20 operations before it reported any finished.
    const served = h.twin.requests.slice(since)
    const accepted = served
      .filter((r) => r.method === 'POST' && /\/importImage$/i.test(r.path) && r.status === 202)
      .map((r) => Date.parse(r.time))
    const finished = served
      .filter((r) => r.method === 'GET' && /operationResults/i.test(r.path) && r.status === 200)
      .map((r) => Date.parse(r.time))
    expect(accepted).toHaveLength(20)
    expect(Math.max(...accepted)).toBeLessThanOrEqual(Math.min(...finished))
  })
})
