import { describe, it, expect } from '@jest/globals'
import { TwinState } from '../../twin/state.ts'
import { canPull, canListCatalog, repositoryAccess } from '../../twin/registry/permissions.ts'
import { evaluateCondition, repositoryCondition, REPOSITORY_NAME } from '../../twin/registry/abac.ts'

const SUB = '11111111-2222-4333-8444-555555555555'
const CONTENT_READ = 'Microsoft.ContainerRegistry/registries/repositories/content/read'

function world() {
  const state = new TwinState()
  state.addSubscription(SUB)
  const legacy = state.addRegistry({ subscriptionId: SUB, resourceGroup: 'rg', name: 'legacyacr' })
  const abac = state.addRegistry({
    subscriptionId: SUB,
    resourceGroup: 'rg',
    name: 'abacacr',
    roleAssignmentMode: 'AbacRepositoryPermissions'
  })
  const p = state.addPrincipal({ displayName: 'kubelet' }).objectId
  return { state, legacy, abac, p }
}

describe('canPull: one answer for "may P pull R from X" under the registry permissions mode', () => {
  it('legacy mode: AcrPull, AcrPush, Reader, Contributor, Owner and pull/read custom roles; not AcrDelete, AcrImageSigner or repository roles', () => {
    for (const role of ['AcrPull', 'AcrPush', 'Reader', 'Contributor', 'Owner']) {
      const { state, legacy, p } = world()
      state.addRoleAssignment({ scope: legacy.id, role, principalId: p })
      expect(canPull(state, p, legacy, 'any/repo')).toMatchObject({ allowed: true, reason: expect.stringContaining(role) })
    }
    for (const role of ['AcrDelete', 'AcrImageSigner', 'Container Registry Repository Reader']) {
      const { state, legacy, p } = world()
      state.addRoleAssignment({ scope: legacy.id, role, principalId: p })
      expect(canPull(state, p, legacy, 'any/repo').allowed).toBe(false)
    }
    const { state, legacy, p } = world()
    state.addRoleAssignment({ scope: legacy.id, role: 'Container Registry Repository Reader', principalId: p })
    expect(canPull(state, p, legacy, 'x').reason).toMatch(/does not honour.*LegacyRegistryPermissions/)
    const custom = state.addCustomRole({
      subscriptionId: SUB,
      name: 'Puller',
      actions: ['Microsoft.ContainerRegistry/registries/pull/read']
    })
    state.addRoleAssignment({ scope: legacy.id, role: custom.guid, principalId: p })
    expect(canPull(state, p, legacy, 'x')).toMatchObject({ allowed: true, reason: expect.stringContaining('Puller') })
  })

  it('inherits from the resource group, the subscription and the root; not from a sibling registry', () => {
    const { state, legacy, abac, p } = world()
    expect(canPull(state, p, legacy, 'x')).toMatchObject({ allowed: false, reason: expect.stringContaining('no role assignment') })
    state.addRoleAssignment({ scope: abac.id, role: 'AcrPull', principalId: p })
    expect(canPull(state, p, legacy, 'x').allowed).toBe(false)
    state.addRoleAssignment({ scope: `/subscriptions/${SUB}/resourceGroups/RG`, role: 'AcrPull', principalId: p })
    expect(canPull(state, p, 'legacyacr.azurecr.io', 'x').allowed).toBe(true)
    const w = world()
    w.state.addRoleAssignment({ scope: `/subscriptions/${SUB}`, role: 'Reader', principalId: w.p })
    expect(canPull(w.state, w.p, w.legacy, 'x').allowed).toBe(true)
    const root = world()
    root.state.addRoleAssignment({ scope: '/', role: 'Owner', principalId: root.p })
    expect(canPull(root.state, root.p, root.legacy, 'x').allowed).toBe(true)
  })

  it('ABAC mode: AcrPull and Owner are not honoured; repository roles and content/read custom roles are', () => {
    for (const role of ['AcrPull', 'AcrPush', 'Owner', 'Contributor', 'Reader']) {
      const { state, abac, p } = world()
      state.addRoleAssignment({ scope: abac.id, role, principalId: p })
      expect(canPull(state, p, abac, 'app')).toMatchObject({ allowed: false })
    }
    const { state, abac, p } = world()
    state.addRoleAssignment({ scope: abac.id, role: 'AcrPull', principalId: p })
    expect(canPull(state, p, abac, 'app').reason).toMatch(/AcrPull .* not honoured.*AbacRepositoryPermissions/)
    for (const role of [
      'Container Registry Repository Reader',
      'Container Registry Repository Writer',
      'Container Registry Repository Contributor'
    ]) {
      const w = world()
      w.state.addRoleAssignment({ scope: `/subscriptions/${SUB}`, role, principalId: w.p })
      expect(canPull(w.state, w.p, w.abac, 'app').allowed).toBe(true)
    }
    const custom = state.addCustomRole({ subscriptionId: SUB, name: 'Content reader', actions: [], dataActions: [CONTENT_READ] })
    state.addRoleAssignment({ scope: abac.id, role: custom.guid, principalId: p })
    expect(canPull(state, p, abac, 'app').allowed).toBe(true)
  })

  it('honours ABAC conditions on the repository name: StringEqualsIgnoreCase / StringStartsWithIgnoreCase, OR-ed', () => {
    const { state, abac, p } = world()
    state.addRoleAssignment({
      scope: abac.id,
      role: 'Container Registry Repository Reader',
      principalId: p,
      condition: repositoryCondition([{ equals: 'shared/base' }, { startsWith: 'team-a/' }])
    })
    expect(canPull(state, p, abac, 'shared/base').allowed).toBe(true)
    expect(canPull(state, p, abac, 'Shared/Base').allowed).toBe(true)
    expect(canPull(state, p, abac, 'team-a/web').allowed).toBe(true)
    expect(canPull(state, p, abac, 'team-b/web')).toMatchObject({
      allowed: false,
      reason: expect.stringContaining("does not allow repository 'team-b/web'")
    })
    expect(canPull(state, p, abac, 'shared/base-2').allowed).toBe(false)
    // Push is not in the role, whatever the condition says.
    expect(repositoryAccess(state, p, abac, 'team-a/web', 'push').allowed).toBe(false)
    // A second, unconditioned assignment widens access: assignments are OR-ed.
    state.addRoleAssignment({ scope: abac.id, role: 'Container Registry Repository Writer', principalId: p })
    expect(canPull(state, p, abac, 'team-b/web').allowed).toBe(true)
  })

  it('evaluates the portal shape exactly: actions the condition does not name pass through; unreadable conditions deny', () => {
    const cond = `((!(ActionMatches{'${CONTENT_READ}'}) AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})) OR (@Request[${REPOSITORY_NAME}] StringEqualsIgnoreCase 'app'))`
    expect(evaluateCondition(cond, { action: CONTENT_READ, request: { [REPOSITORY_NAME]: 'APP' } })).toBe(true)
    expect(evaluateCondition(cond, { action: CONTENT_READ, request: { [REPOSITORY_NAME]: 'other' } })).toBe(false)
    expect(
      evaluateCondition(cond, {
        action: 'Microsoft.ContainerRegistry/registries/repositories/content/write',
        request: { [REPOSITORY_NAME]: 'other' }
      })
    ).toBe(true)
    expect(
      evaluateCondition(`@Request[${REPOSITORY_NAME}] StringLike 'team-*/web'`, {
        action: CONTENT_READ,
        request: { [REPOSITORY_NAME]: 'team-x/web' }
      })
    ).toBe(true)
    expect(
      evaluateCondition(`@Request[${REPOSITORY_NAME}] ForAnyOfAnyValues:StringEquals {'a', 'b'}`, {
        action: CONTENT_READ,
        request: { [REPOSITORY_NAME]: 'b' }
      })
    ).toBe(true)
    const { state, abac, p } = world()
    state.addRoleAssignment({
      scope: abac.id,
      role: 'Container Registry Repository Reader',
      principalId: p,
      condition: `@Request[${REPOSITORY_NAME}] StringSoundsLike 'app'`
    })
    expect(canPull(state, p, abac, 'app')).toMatchObject({ allowed: false, reason: expect.stringContaining('cannot be evaluated') })
  })

  it('anonymous pull only when the registry enables it; catalog needs pull (legacy) or Catalog Lister (ABAC)', () => {
    const { state, legacy, abac, p } = world()
    expect(canPull(state, undefined, legacy, 'x').allowed).toBe(false)
    legacy.anonymousPullEnabled = true
    expect(canPull(state, undefined, legacy, 'x').allowed).toBe(true)
    expect(repositoryAccess(state, undefined, legacy, 'x', 'push').allowed).toBe(false)
    state.addRoleAssignment({ scope: legacy.id, role: 'AcrPull', principalId: p })
    expect(canListCatalog(state, p, legacy).allowed).toBe(true)
    state.addRoleAssignment({ scope: abac.id, role: 'Container Registry Repository Reader', principalId: p })
    expect(canListCatalog(state, p, abac).allowed).toBe(false)
    state.addRoleAssignment({ scope: abac.id, role: 'Container Registry Repository Catalog Lister', principalId: p })
    expect(canListCatalog(state, p, abac).allowed).toBe(true)
  })
})
