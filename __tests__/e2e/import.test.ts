import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { QUAY_PRIVATE } from '../../twin/registry/catalog.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, freshRegistry, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

interface ImageOutput {
  source: string
  target: string
  digest: string | null
  changed: boolean
}

function importInputs(registry: string, images: string, extra: Record<string, string> = {}): Record<string, string> {
  return { ...baseInputs(world, undefined, registry), mode: 'import', images, ...extra }
}

const importCalls = (since: number) => requestsSince(world, since).filter((r) => r.method === 'POST' && /\/importImage$/i.test(r.path))
const images = (outputs: Record<string, string>) => JSON.parse(outputs.images ?? '[]') as ImageOutput[]

describe('import', () => {
  it('brings Docker Hub and MCR images in server-side, without a cluster, with digests in the outputs', async () => {
    const registry = freshRegistry(world)
    const result = await run(
      world,
      importInputs(registry.name, 'docker.io/library/nginx:latest => nginx:v1\nmcr.microsoft.com/dotnet/runtime:8.0')
    )
    expect(result.exitCode).toBe(0)
    const nginx = twin.tagDigest('docker.io', 'library/nginx', 'latest')
    const runtime = twin.tagDigest('mcr.microsoft.com', 'dotnet/runtime', '8.0')
    expect(twin.tagDigest(registry.loginServer, 'nginx', 'v1')).toBe(nginx)
    expect(twin.tagDigest(registry.loginServer, 'dotnet/runtime', '8.0')).toBe(runtime)
    expect(images(result.outputs)).toEqual([
      { source: 'docker.io/library/nginx:latest', target: `${registry.loginServer}/nginx:v1`, digest: nginx, changed: true },
      {
        source: 'mcr.microsoft.com/dotnet/runtime:8.0',
        target: `${registry.loginServer}/dotnet/runtime:8.0`,
        digest: runtime,
        changed: true
      }
    ])
    expect(result.outputs.changed).toBe('true')
    expect(result.summary).toContain('### Images')
    expect(result.summary).toContain('✅ imported')
    expect(result.log).toContain('Imported docker.io/library/nginx:latest')
    expectNoSecrets(result)
  })

  it('promotes an image from a registry in another subscription by resource ID, one source to several targets', async () => {
    const registry = freshRegistry(world)
    const { registry: dev } = freshPair(world, { registrySubscription: world.otherSubscriptionId })
    twin.addImage(dev, 'app:1.4.2')
    const digest = twin.tagDigest(dev.loginServer, 'app', '1.4.2')!
    const result = await run(world, importInputs(registry.name, `${dev.id}/app:1.4.2 => app:1.4.2, app:stable`))
    expect(result.exitCode).toBe(0)
    expect(twin.tagDigest(registry.loginServer, 'app', '1.4.2')).toBe(digest)
    expect(twin.tagDigest(registry.loginServer, 'app', 'stable')).toBe(digest)
    expect(images(result.outputs).map((i) => i.source)).toEqual([`${dev.loginServer}/app:1.4.2`, `${dev.loginServer}/app:1.4.2`])
  })

  it('promotes from a registry in another subscription named by its login server, by resource ID and without credentials', async () => {
    const registry = freshRegistry(world)
    const { registry: dev } = freshPair(world, { registrySubscription: world.otherSubscriptionId })
    twin.addImage(dev, 'app:1.0')
    const digest = twin.tagDigest(dev.loginServer, 'app', '1.0')!
    const since = twin.requests.length
    const result = await run(world, importInputs(registry.name, `${dev.loginServer}/app:1.0 => app:1.0`))
    expect(result.exitCode).toBe(0)
    expect(twin.tagDigest(registry.loginServer, 'app', '1.0')).toBe(digest)
    expect(result.log).toContain(`found it in subscription ${world.otherSubscriptionId}`)
    // The subscriptions were listed only because the usual one held no match.
    const requests = requestsSince(world, since)
    expect(requests.filter((r) => r.path === '/subscriptions')).toHaveLength(1)
    expect(
      requests.filter(
        (r) => r.path.toLowerCase() === `/subscriptions/${world.otherSubscriptionId}/providers/microsoft.containerregistry/registries`
      )
    ).toHaveLength(1)
    // By registryUri the twin's ACR would read the source anonymously and fail: success means by resource ID.
    expect(importCalls(since)).toHaveLength(1)
    expect(images(result.outputs)).toEqual([expect.objectContaining({ source: `${dev.loginServer}/app:1.0`, digest, changed: true })])
  })

  it('imports a digest source', async () => {
    const registry = freshRegistry(world)
    const digest = twin.tagDigest('mcr.microsoft.com', 'oss/nginx/nginx', '1.27')!
    const result = await run(world, importInputs(registry.name, `mcr.microsoft.com/oss/nginx/nginx@${digest} => nginx:pinned`))
    expect(result.exitCode).toBe(0)
    expect(twin.tagDigest(registry.loginServer, 'nginx', 'pinned')).toBe(digest)
    expect(images(result.outputs)[0]).toMatchObject({ target: `${registry.loginServer}/nginx:pinned`, digest, changed: true })
  })

  it('skips on a re-run: no import call at all, changed=false', async () => {
    const registry = freshRegistry(world)
    const lines = 'nginx:1.27 => nginx:1.27\nmcr.microsoft.com/azuredocs/aks-helloworld:v1 => hello:v1'
    expect((await run(world, importInputs(registry.name, lines))).exitCode).toBe(0)
    const since = twin.requests.length
    const again = await run(world, importInputs(registry.name, lines))
    expect(again.exitCode).toBe(0)
    expect(importCalls(since)).toEqual([])
    expect(again.outputs.changed).toBe('false')
    expect(images(again.outputs).every((i) => !i.changed && i.digest)).toBe(true)
    expect(again.summary).toContain('unchanged, same digest')
  })

  it('refuses a tag that points elsewhere under skip-existing, naming both digests, and overwrites it with force', async () => {
    const registry = freshRegistry(world)
    twin.addImage(registry, 'nginx:v1')
    const old = twin.tagDigest(registry.loginServer, 'nginx', 'v1')!
    const since = twin.requests.length
    const refused = await run(world, importInputs(registry.name, 'nginx:latest => nginx:v1'))
    expect(refused.exitCode).toBe(1)
    expect(importCalls(since)).toEqual([])
    expect(errorAnnotation(refused.log)).toContain(`nginx:v1 already exists (${old})`)
    expect(errorAnnotation(refused.log)).toContain('import-mode: force')

    const forced = await run(world, importInputs(registry.name, 'nginx:latest => nginx:v1', { 'import-mode': 'force' }))
    expect(forced.exitCode).toBe(0)
    expect(twin.tagDigest(registry.loginServer, 'nginx', 'v1')).toBe(twin.tagDigest('docker.io', 'library/nginx', 'latest'))
  })

  it('fails with fail-existing when a target tag exists, even with the same digest', async () => {
    const registry = freshRegistry(world)
    twin.addImage(registry, 'redis:7', { from: 'docker.io/library/redis:7' })
    const since = twin.requests.length
    const result = await run(world, importInputs(registry.name, 'redis:7 => redis:7', { 'import-mode': 'fail-existing' }))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('fail-existing')
    expect(importCalls(since)).toEqual([])
  })

  it('reports a source that does not exist on its own line and still imports the others', async () => {
    const registry = freshRegistry(world)
    const result = await run(world, importInputs(registry.name, 'busybox:latest => busybox:1\nnginx:v99 => nginx:v99'))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('1 of 2 imports failed')
    expect(message).toContain('line 2: source docker.io/library/nginx:v99 does not exist')
    expect(twin.tagDigest(registry.loginServer, 'busybox', '1')).toBeDefined()
    expect(images(result.outputs).map((i) => i.changed)).toEqual([true, false])
  })

  it('uses source credentials for a private registry and never prints them', async () => {
    const registry = freshRegistry(world)
    const line = 'quay.io/contoso/private-app:1.0 => private-app:1.0'
    const without = await run(world, importInputs(registry.name, line))
    expect(without.exitCode).toBe(1)
    expect(errorAnnotation(without.log)).toContain("set 'source-username' and 'source-password'")

    const result = await run(
      world,
      importInputs(registry.name, line, { 'source-username': QUAY_PRIVATE.username, 'source-password': QUAY_PRIVATE.password })
    )
    expect(result.exitCode).toBe(0)
    expect(twin.tagDigest(registry.loginServer, 'private-app', '1.0')).toBe(twin.tagDigest('quay.io', 'contoso/private-app', '1.0'))
    expectNoSecrets(result, [QUAY_PRIVATE.password])
  })

  it('runs 20 imports in one run concurrently', async () => {
    const registry = freshRegistry(world)
    const lines = Array.from({ length: 20 }, (_, i) => `nginx:1.27 => batch/nginx:${i}`).join('\n')
    const importMs = 3000
    twin.state.importDurationMs = importMs
    const since = twin.requests.length
    const result = await run(world, importInputs(registry.name, lines))
    twin.state.importDurationMs = 400
    expect(result.exitCode).toBe(0)
    expect(images(result.outputs)).toHaveLength(20)
    expect(twin.imagesOf(registry.loginServer).filter((i) => i.repository === 'batch/nginx')).toHaveLength(20)
    // Concurrent, not one after another: every import was started before the first could finish.
    const started = importCalls(since).map((r) => Date.parse(r.time))
    expect(started).toHaveLength(20)
    expect(Math.max(...started)).toBeLessThan(Math.min(...started) + importMs)
    // The wall-clock goal (20 imports within twice the time of one) is measured by `npm run bench`.
  })

  it('refuses an images line that cannot be parsed before any request, naming the line', async () => {
    const registry = freshRegistry(world)
    const since = twin.requests.length
    const result = await run(world, importInputs(registry.name, 'nginx:latest => nginx:v1\nNGINX => x'))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Input 'images': line 2")
    expect(requestsSince(world, since)).toEqual([])
  })
})
