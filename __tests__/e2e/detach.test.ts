import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

describe('detach', () => {
  it('removes only the assignment attach made and leaves every other one alone', async () => {
    const { cluster, registry } = freshPair(world)
    const kubelet = cluster.pullPrincipalId
    const attached = await run(world, baseInputs(world, cluster, registry.name))
    expect(attached.exitCode).toBe(0)
    const otherPrincipal = twin.addPrincipal({ displayName: 'another-cluster-agentpool' })
    const keep = [
      twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: otherPrincipal.objectId }),
      twin.addRoleAssignment({ scope: registry.id, role: 'AcrPush', principalId: kubelet }),
      twin.addRoleAssignment({
        scope: `/subscriptions/${registry.subscriptionId}/resourceGroups/${registry.resourceGroup}`,
        role: 'AcrPull',
        principalId: kubelet
      })
    ]
    const before = twin.state.assignments.length

    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'detach' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs).toMatchObject({ changed: 'true', 'role-assignment-id': '', 'kubelet-object-id': kubelet })
    expect(twin.state.assignments.length).toBe(before - 1)
    expect(twin.roleAssignments({ scope: registry.id, principalId: kubelet, role: 'AcrPull' })).toEqual([])
    for (const assignment of keep) expect(twin.state.assignments).toContainEqual(assignment)
    const deletes = requestsSince(world, since).filter((r) => r.method === 'DELETE')
    expect(deletes).toHaveLength(1)
    expect(deletes[0]!.path.toLowerCase()).toContain(attached.outputs['role-assignment-id']!.split('/').pop()!.toLowerCase())
    expect(result.summary).toContain('🗑️ deleted')
    expect(result.summary).toContain('Left alone')
    expectNoSecrets(result)
  })

  it('removes an ABAC-mode Repository Reader assignment', async () => {
    const { cluster, registry } = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
    twin.addRoleAssignment({ scope: registry.id, role: 'Container Registry Repository Reader', principalId: cluster.pullPrincipalId })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'detach' })
    expect(result.exitCode).toBe(0)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toEqual([])
  })

  it('when one of two deletes is refused, reports the other as deleted and changed=true', async () => {
    const { cluster, registry } = freshPair(world)
    const kubelet = cluster.pullPrincipalId
    const pull = twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: kubelet })
    const reader = twin.addRoleAssignment({ scope: registry.id, role: 'Container Registry Repository Reader', principalId: kubelet })
    const refused = {
      error: {
        code: 'AuthorizationFailed',
        message: 'The client does not have authorization to perform action Microsoft.Authorization/roleAssignments/delete'
      }
    }
    twin.inject({ method: 'DELETE', path: reader.name, status: 403, body: refused })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'detach' })
    expect(result.exitCode).toBe(1)
    expect(twin.state.assignments).not.toContainEqual(pull)
    expect(twin.state.assignments).toContainEqual(reader)
    expect(result.outputs.changed).toBe('true')
    expect(result.summary).toContain('🗑️ deleted')
    expect(result.log).toContain('AuthorizationFailed')
  })

  it('succeeds with changed=false when there is nothing to remove', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, registry.id), mode: 'detach' })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.changed).toBe('false')
    expect(requestsSince(world, since).filter((r) => r.method === 'DELETE')).toEqual([])
    expect(result.summary).toContain('nothing to remove')
  })

  it('then attach again converges on the same deterministic assignment name', async () => {
    const { cluster, registry } = freshPair(world)
    const first = await run(world, baseInputs(world, cluster, registry.name))
    await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'detach' })
    const again = await run(world, baseInputs(world, cluster, registry.name))
    expect(again.outputs.changed).toBe('true')
    expect(again.outputs['role-assignment-id']).toBe(first.outputs['role-assignment-id'])
  })
})
