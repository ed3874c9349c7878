import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'

const ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
const REPOSITORY_READER = 'b93aa761-3e63-49ed-ac28-beffa264f7ac'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const puts = (since: number) => requestsSince(world, since).filter((r) => r.method === 'PUT' && /roleAssignments/i.test(r.path))

describe('attach', () => {
  it('by registry name grants AcrPull to the kubelet identity at the registry, with outputs and summary', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name))

    expect(result.exitCode).toBe(0)
    const kubelet = cluster.pullPrincipalId
    const assignments = twin.roleAssignments({ scope: registry.id, principalId: kubelet })
    expect(assignments).toHaveLength(1)
    expect(assignments[0]!.roleDefinitionGuid).toBe(ACR_PULL)
    expect(assignments[0]!.principalType).toBe('ServicePrincipal')
    expect(result.outputs).toMatchObject({
      'registry-id': registry.id,
      'login-server': registry.loginServer,
      'kubelet-object-id': kubelet,
      role: 'AcrPull',
      changed: 'true'
    })
    expect(result.outputs['role-assignment-id']).toBe(
      `${registry.id}/providers/Microsoft.Authorization/roleAssignments/${assignments[0]!.name}`
    )
    expect(puts(since)).toHaveLength(1)
    // The cluster is only read, never written (the Azure CLI PUTs the whole cluster).
    expect(
      requestsSince(world, since)
        .filter((r) => /managedClusters/i.test(r.path))
        .map((r) => r.method)
    ).toEqual(['GET'])
    expect(result.summary).toContain(`https://portal.azure.com/#@${world.tenantId}/resource${registry.id}`)
    expect(result.summary).toContain('✅ created')
    expect(result.log).toContain('::group::Attach the registry to the cluster')
    expectNoSecrets(result)
  })

  it('by login server finds the registry in the subscription', async () => {
    const { cluster, registry } = freshPair(world)
    const result = await run(world, baseInputs(world, cluster, registry.loginServer))
    expect(result.exitCode).toBe(0)
    expect(result.outputs['registry-id']).toBe(registry.id)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
  })

  it('by resource ID reads a registry in another subscription directly, without searching', async () => {
    const { cluster, registry } = freshPair(world, { registrySubscription: world.otherSubscriptionId })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.id))
    expect(result.exitCode).toBe(0)
    expect(result.outputs['registry-id']).toBe(registry.id)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
    const listings = requestsSince(world, since).filter((r) => /\/providers\/Microsoft\.ContainerRegistry\/registries$/i.test(r.path))
    expect(listings).toEqual([])
  })

  it('says a subscription it could not search may hold the registry, instead of "not found" alone', async () => {
    const { cluster } = freshPair(world)
    const refused = {
      error: {
        code: 'AuthorizationFailed',
        message: 'The client does not have authorization to perform action Microsoft.ContainerRegistry/registries/read'
      }
    }
    twin.inject({
      method: 'GET',
      path: `/subscriptions/${world.otherSubscriptionId}/providers/Microsoft.ContainerRegistry/registries`,
      status: 403,
      body: refused
    })
    const result = await run(world, baseInputs(world, cluster, 'nosuchregistry'))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain("No container registry named 'nosuchregistry'")
    expect(message).toContain(`could not search subscription ${world.otherSubscriptionId} (AuthorizationFailed), so it may be there`)
  })

  it('to an ABAC-mode registry grants Container Registry Repository Reader without a condition', async () => {
    const { cluster, registry } = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
    const result = await run(world, baseInputs(world, cluster, registry.name))
    expect(result.exitCode).toBe(0)
    const [assignment, ...rest] = twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })
    expect(rest).toEqual([])
    expect(assignment!.roleDefinitionGuid).toBe(REPOSITORY_READER)
    expect(assignment!.condition).toBeNull()
    expect(result.outputs.role).toBe('Container Registry Repository Reader')
    expect(result.summary).toContain('Container Registry Repository Reader')
  })

  it('to an ABAC-mode registry with repositories limits the assignment with an ABAC condition', async () => {
    const { cluster, registry } = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), repositories: 'team-a/*\nnginx' })
    expect(result.exitCode).toBe(0)
    const [assignment] = twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })
    expect(assignment!.conditionVersion).toBe('2.0')
    expect(assignment!.condition).toContain(
      "@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'team-a/'"
    )
    expect(assignment!.condition).toContain("StringEqualsIgnoreCase 'nginx'")
  })

  it('refuses repositories on a legacy-mode registry before changing anything', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), repositories: 'nginx' })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Input 'repositories'")
    expect(requestsSince(world, since).filter((r) => r.method !== 'GET' && r.method !== 'POST')).toEqual([])
  })

  it('is idempotent: a re-run sends no PUT and reports changed=false', async () => {
    const { cluster, registry } = freshPair(world)
    const first = await run(world, baseInputs(world, cluster, registry.name))
    expect(first.outputs.changed).toBe('true')
    const since = twin.requests.length
    const second = await run(world, baseInputs(world, cluster, registry.name))
    expect(second.exitCode).toBe(0)
    expect(second.outputs.changed).toBe('false')
    expect(second.outputs['role-assignment-id']).toBe(first.outputs['role-assignment-id'])
    expect(puts(since)).toEqual([])
    expect(second.summary).toContain('unchanged')
  })

  it('counts an AcrPull made by az aks update --attach-acr (random name) as attached', async () => {
    const { cluster, registry } = freshPair(world)
    const existing = twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name))
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({
      changed: 'false',
      'role-assignment-id': `${registry.id}/providers/Microsoft.Authorization/roleAssignments/${existing.name}`
    })
    expect(puts(since)).toEqual([])
  })

  it('from 8 concurrent runs ends in exactly one assignment, reported as created by exactly one run', async () => {
    const { cluster, registry } = freshPair(world)
    twin.latencyMs = 50
    const results = await Promise.all(Array.from({ length: 8 }, () => run(world, baseInputs(world, cluster, registry.name))))
    twin.latencyMs = 0
    expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0))
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
    expect(results.filter((r) => r.outputs.changed === 'true')).toHaveLength(1)
    expect(new Set(results.map((r) => r.outputs['role-assignment-id'])).size).toBe(1)
  })

  it('from 8 concurrent runs converges too when ARM answers 200 to a repeated identical PUT', async () => {
    const { cluster, registry } = freshPair(world)
    twin.state.sameNamePut = 'ok'
    twin.latencyMs = 50
    const results = await Promise.all(Array.from({ length: 8 }, () => run(world, baseInputs(world, cluster, registry.name))))
    twin.latencyMs = 0
    twin.state.sameNamePut = 'conflict'
    expect(results.map((r) => r.exitCode)).toEqual(Array(8).fill(0))
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
    expect(results.filter((r) => r.outputs.changed === 'true')).toHaveLength(1)
  })

  it('grants a service-principal cluster through its service principal, resolved with Microsoft Graph', async () => {
    const { cluster, registry } = freshPair(world, { identity: 'servicePrincipal' })
    const result = await run(world, baseInputs(world, cluster, registry.name))
    expect(result.exitCode).toBe(0)
    expect(cluster.servicePrincipal).toBeDefined()
    expect(result.outputs['kubelet-object-id']).toBe(cluster.servicePrincipal!.objectId)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.servicePrincipal!.objectId })).toHaveLength(1)
  })

  it('survives throttling (429 with Retry-After) on reads and on the PUT', async () => {
    const { cluster, registry } = freshPair(world)
    const throttle = {
      status: 429,
      headers: { 'Retry-After': '1' },
      body: { error: { code: 'TooManyRequests', message: 'Too many requests, retry after 1 second.' } }
    }
    twin.inject({ method: 'GET', path: /managedClusters/i, times: 1, ...throttle })
    twin.inject({ method: 'PUT', path: /roleAssignments/i, times: 2, ...throttle })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name))
    twin.clearFaults()
    expect(result.exitCode).toBe(0)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
    expect(puts(since).map((r) => r.status)).toEqual([429, 429, 201])
  })

  it('survives replication delay of a new kubelet identity (PrincipalNotFound), then succeeds', async () => {
    const { cluster, registry } = freshPair(world, { kubeletVisibleAfterMs: 2500 })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name))
    expect(result.exitCode).toBe(0)
    const statuses = puts(since).map((r) => r.status)
    expect(statuses[0]).toBe(400)
    expect(statuses.at(-1)).toBe(201)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
  })

  // @actions/http-client never proxies loopback, so the twin's GitHub OIDC endpoint is reached
  // directly here; on a runner that endpoint is a public host and goes through the proxy too.
  it('reaches Entra ID and ARM through HTTPS_PROXY when NO_PROXY does not exempt them', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const proxied = twin.proxyLog.length
    const result = await run(world, baseInputs(world, cluster, registry.name), { NO_PROXY: '' })
    expect(result.exitCode).toBe(0)
    expect(twin.proxyLog.slice(proxied).some((entry) => entry.allowed)).toBe(true)
    const served = requestsSince(world, since).filter((r) => !r.path.startsWith('/github/'))
    expect(served.length).toBeGreaterThan(3)
    expect(served.filter((r) => r.via !== 'proxy').map((r) => `${r.method} ${r.path}`)).toEqual([])
  })
})
