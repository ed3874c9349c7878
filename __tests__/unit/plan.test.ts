import { describe, expect, it } from '@jest/globals'
import { planAttach, planDetach } from '../../src/plan/assignments.js'
import { assignmentName } from '../../src/azure/assignment-name.js'
import { ROLES } from '../../src/azure/roles.js'
import { ActionError } from '../../src/errors.js'
import { assignment, discoveryWith, KUBELET, REGISTRY_ID, settingsFor, SUB } from './fixtures.js'

const RG = `/subscriptions/${SUB}/resourceGroups/myResourceGroup`

describe('attach plan', () => {
  it('creates AcrPull at the registry under a name derived from scope, role and principal', () => {
    const plan = planAttach(settingsFor(), discoveryWith([]))
    expect(plan.role!.name).toBe('AcrPull')
    expect(plan.changes).toEqual([
      {
        kind: 'create-assignment',
        request: {
          scope: REGISTRY_ID,
          name: assignmentName(REGISTRY_ID, ROLES.AcrPull, KUBELET),
          roleGuid: ROLES.AcrPull,
          roleName: 'AcrPull',
          principalId: KUBELET,
          condition: undefined
        }
      }
    ])
  })

  it('keeps an existing AcrPull at the registry whatever its name, as az aks update --attach-acr leaves one', () => {
    const existing = assignment('AcrPull', REGISTRY_ID, { name: 'f00dfeed-0000-4000-8000-000000000000' })
    const plan = planAttach(settingsFor(), discoveryWith([existing]))
    expect(plan.changes).toEqual([{ kind: 'keep-assignment', assignment: existing, roleName: 'AcrPull' }])
  })

  it("ignores other principals' assignments and notes inherited ones", () => {
    const other = assignment('AcrPull', REGISTRY_ID, { principalId: 'ffffffff-0000-4000-8000-000000000009' })
    const inherited = assignment('AcrPull', RG)
    const plan = planAttach(settingsFor(), discoveryWith([other, inherited]))
    expect(plan.changes[0]!.kind).toBe('create-assignment')
    expect(plan.notes.join()).toContain(`also holds AcrPull at ${RG}`)
  })

  it('uses Container Registry Repository Reader on an ABAC-mode registry and says AcrPull is not honoured', () => {
    const legacy = assignment('AcrPull', REGISTRY_ID)
    const plan = planAttach(settingsFor(), discoveryWith([legacy], 'AbacRepositoryPermissions'))
    expect(plan.role!.name).toBe('Container Registry Repository Reader')
    const change = plan.changes[0]!
    expect(change.kind === 'create-assignment' && change.request.roleGuid).toBe(ROLES['Container Registry Repository Reader'])
    expect(plan.notes.join()).toContain('not honoured')
  })

  it('limits the ABAC assignment to the repositories asked for with a condition', () => {
    const plan = planAttach(settingsFor({ repositories: 'team-a/*, nginx' }), discoveryWith([], 'AbacRepositoryPermissions'))
    const change = plan.changes[0]!
    if (change.kind !== 'create-assignment') throw new Error('expected a create')
    expect(change.request.condition).toContain("StringStartsWithIgnoreCase 'team-a/'")
    expect(change.request.condition).toContain("StringEqualsIgnoreCase 'nginx'")
    expect(change.request.condition).toContain("ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}")
  })

  it('refuses repositories on a legacy-mode registry', () => {
    expect(() => planAttach(settingsFor({ repositories: 'nginx' }), discoveryWith([]))).toThrow(ActionError)
  })
})

describe('detach plan', () => {
  it("deletes exactly the kubelet's AcrPull and Repository Reader at the registry", () => {
    const pull = assignment('AcrPull', REGISTRY_ID)
    const reader = assignment('Container Registry Repository Reader', REGISTRY_ID)
    const push = assignment('AcrPush', REGISTRY_ID)
    const inherited = assignment('AcrPull', RG)
    const otherPrincipal = assignment('AcrPull', REGISTRY_ID, { principalId: 'ffffffff-0000-4000-8000-000000000009', name: 'x' })
    const plan = planDetach(discoveryWith([pull, reader, push, inherited, otherPrincipal]))
    const deleted = plan.changes.map((c) => (c.kind === 'delete-assignment' ? c.assignment : undefined))
    expect(deleted).toEqual([pull, reader])
    expect(plan.notes).toHaveLength(2)
  })

  it('plans nothing when there is nothing to remove', () => {
    expect(planDetach(discoveryWith([])).changes).toEqual([])
  })
})

describe('assignment name', () => {
  it('is a stable version-5 style GUID that ignores case', () => {
    const a = assignmentName(REGISTRY_ID, ROLES.AcrPull, KUBELET)
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect(assignmentName(REGISTRY_ID.toUpperCase(), ROLES.AcrPull, KUBELET.toUpperCase())).toBe(a)
    expect(assignmentName(REGISTRY_ID, ROLES.AcrPush, KUBELET)).not.toBe(a)
  })
})
