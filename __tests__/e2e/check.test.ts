import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

type Pair = ReturnType<typeof freshPair>
interface Reason {
  check: string
  ok: boolean | 'unknown'
  detail: string
}

async function check(pair: Pair, extra: Record<string, string> = {}) {
  const result = await run(world, { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'check', ...extra })
  return { result, canPull: result.outputs['can-pull'], reasons: JSON.parse(result.outputs.reasons ?? '[]') as Reason[] }
}

const role = (reasons: Reason[]) => reasons.find((r) => r.check === 'role')!

describe('check reports whether the cluster can pull', () => {
  // Every row has four cells: jest reads a missing last argument as a `done` callback.
  const cases: Array<[string, (pair: Pair) => Pair, 'true' | 'false', Record<string, string>]> = [
    ['no assignment', (p) => p, 'false', {}],
    [
      'AcrPull at the registry',
      (p) => (twin.addRoleAssignment({ scope: p.registry.id, role: 'AcrPull', principalId: p.cluster.pullPrincipalId }), p),
      'true',
      {}
    ],
    [
      'AcrPush at the resource group',
      (p) => (
        twin.addRoleAssignment({
          scope: `/subscriptions/${world.subscriptionId}/resourceGroups/${p.registry.resourceGroup}`,
          role: 'AcrPush',
          principalId: p.cluster.pullPrincipalId
        }),
        p
      ),
      'true',
      {}
    ],
    [
      'Contributor at the subscription',
      (p) => (
        twin.addRoleAssignment({
          scope: `/subscriptions/${world.subscriptionId}`,
          role: 'Contributor',
          principalId: p.cluster.pullPrincipalId
        }),
        p
      ),
      'true',
      {}
    ],
    [
      'a custom role with the pull action',
      (p) => {
        const custom = twin.addCustomRole({
          subscriptionId: world.subscriptionId,
          name: `Image Puller ${p.registry.name}`,
          actions: ['Microsoft.ContainerRegistry/registries/pull/read']
        })
        twin.addRoleAssignment({ scope: p.registry.id, role: custom.guid, principalId: p.cluster.pullPrincipalId })
        return p
      },
      'true',
      {}
    ],
    [
      'a registry with public access disabled',
      () => {
        const p = freshPair(world)
        const registry = twin.addRegistry({
          subscriptionId: world.subscriptionId,
          resourceGroup: p.registry.resourceGroup,
          name: `${p.registry.name}priv`,
          publicNetworkAccess: 'Disabled'
        })
        twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: p.cluster.pullPrincipalId })
        return { ...p, registry }
      },
      'false',
      {}
    ],
    [
      'an ABAC-mode registry where the kubelet holds only AcrPull',
      () => {
        const p = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
        twin.addRoleAssignment({ scope: p.registry.id, role: 'AcrPull', principalId: p.cluster.pullPrincipalId })
        return p
      },
      'false',
      {}
    ],
    [
      'an ABAC-mode registry where Repository Reader is limited to other repositories',
      () => {
        const p = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
        const condition =
          "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}) AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})) OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'team-b/'))"
        twin.addRoleAssignment({
          scope: p.registry.id,
          role: 'Container Registry Repository Reader',
          principalId: p.cluster.pullPrincipalId,
          condition,
          conditionVersion: '2.0'
        })
        return p
      },
      'false',
      { 'check-image': 'team-a/web:1' }
    ]
  ]

  it.each(cases)('%s', async (_name, arrange, expected, extra) => {
    const pair = arrange(freshPair(world))
    const since = twin.requests.length
    const { result, canPull, reasons } = await check(pair, extra)
    expect(result.exitCode).toBe(0)
    expect(canPull).toBe(expected)
    expect(reasons.map((r) => r.check)).toEqual(['registry', 'network', 'authentication', 'role'])
    if (expected === 'false') expect(result.log).toContain('::warning::The cluster cannot pull from the registry')
    expect(result.summary).toContain(`### Can the cluster pull? ${expected === 'true' ? '✅ yes' : '❌ no'}`)
    // check only reads.
    expect(requestsSince(world, since).filter((r) => ['PUT', 'DELETE', 'PATCH'].includes(r.method))).toEqual([])
  })

  it('explains an ABAC condition that excludes the repository', async () => {
    const pair = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
    const condition =
      "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringEqualsIgnoreCase 'team-b/api'))"
    twin.addRoleAssignment({
      scope: pair.registry.id,
      role: 'Container Registry Repository Reader',
      principalId: pair.cluster.pullPrincipalId,
      condition,
      conditionVersion: '2.0'
    })
    const { reasons } = await check(pair, { 'check-image': 'team-a/web:1' })
    expect(role(reasons).detail).toContain("its condition limits it to 'team-b/api'")
  })

  it('fails the job only with fail-on-check', async () => {
    const pair = freshPair(world)
    const { result } = await check(pair, { 'fail-on-check': 'true' })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('The cluster cannot pull from the registry')
    expect(errorAnnotation(result.log)).toContain('run with mode: attach')
  })

  it('check-pull proves it with a short-lived pod, before and after attach in one run', async () => {
    const pair = freshPair(world)
    twin.addImage(pair.registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const denied = await check(pair, { 'check-pull': 'true', 'check-image': 'nginx:v1' })
    expect(denied.canPull).toBe('false')
    expect(denied.reasons.find((r) => r.check === 'pull')).toMatchObject({ ok: false })
    expect(denied.reasons.find((r) => r.check === 'pull')!.detail).toMatch(/ErrImagePull|ImagePullBackOff/)

    const fixed = await check(pair, { mode: 'check attach', 'check-pull': 'true', 'check-image': 'nginx:v1' })
    expect(fixed.result.exitCode).toBe(0)
    expect(fixed.reasons.find((r) => r.check === 'pull')).toMatchObject({ ok: true })
    // The probe pod is gone afterwards.
    expect(pair.cluster.kube.list('Pod', 'default').filter((p: any) => p.metadata.name.startsWith('aks-acr-check-'))).toEqual([])
  })
})
