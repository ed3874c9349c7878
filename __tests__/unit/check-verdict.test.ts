import { describe, expect, it } from '@jest/globals'
import { kubeletAccess } from '../../src/azure/kubelet-access.js'
import type { Registry } from '../../src/azure/registries.js'
import type { RoleAssignments } from '../../src/azure/role-assignments.js'
import { canPullFrom, checkVerdict, type CheckReason } from '../../src/plan/check-verdict.js'
import { assignment, KUBELET, REGISTRY_ID, SUB } from './fixtures.js'

const registry = (overrides: Partial<Registry> = {}): Registry => ({
  id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/acr',
  name: 'acr',
  resourceGroup: 'rg',
  subscriptionId: 's',
  loginServer: 'acr.azurecr.io',
  permissionsMode: 'LegacyRegistryPermissions',
  publicNetworkAccess: 'Enabled',
  privateEndpoints: 0,
  networkDefaultAction: 'Allow',
  armTokensAccepted: true,
  ...overrides
})
const mayPull = { canPull: true as const, findings: ['AcrPull at the registry'], grants: [] }
const reason = (check: CheckReason['check'], ok: CheckReason['ok']): CheckReason => ({ check, ok, detail: check })

describe('the check verdict says only what it knows', () => {
  it('is yes when every check passed', () => {
    expect(checkVerdict(registry(), mayPull, 'kubelet', undefined, undefined).canPull).toBe(true)
  })

  it('is unknown, not no, behind a firewall that denies by default', () => {
    const verdict = checkVerdict(registry({ networkDefaultAction: 'Deny' }), mayPull, 'kubelet', undefined, undefined)
    expect(verdict.canPull).toBe('unknown')
    expect(verdict.reasons.find((r) => r.check === 'network')).toMatchObject({ ok: 'unknown' })
  })

  it('is unknown behind a private endpoint, and no without one', () => {
    expect(
      checkVerdict(registry({ publicNetworkAccess: 'Disabled', privateEndpoints: 1 }), mayPull, 'kubelet', undefined, undefined).canPull
    ).toBe('unknown')
    expect(checkVerdict(registry({ publicNetworkAccess: 'Disabled' }), mayPull, 'kubelet', undefined, undefined).canPull).toBe(false)
  })

  it('is unknown when the role carries a condition it cannot read', () => {
    expect(
      checkVerdict(registry(), { canPull: 'unknown', findings: ['a condition'], grants: [] }, 'kubelet', undefined, undefined).canPull
    ).toBe('unknown')
  })

  it('claims nothing of a registry a dry run would create', () => {
    const verdict = checkVerdict(registry({ planned: true }), mayPull, 'kubelet', undefined, undefined)
    expect(verdict.canPull).toBe('unknown')
    expect(verdict.reasons.map((r) => r.ok)).toEqual(['unknown', 'unknown', 'unknown', 'unknown'])
    expect(verdict.reasons[0]!.detail).toContain('does not exist yet')
  })

  it('is no when one check failed, even if another is undecided', () => {
    expect(canPullFrom([reason('network', 'unknown'), reason('role', false)])).toBe(false)
  })

  it('is yes when a pod pulled, whatever was inferred before', () => {
    expect(canPullFrom([reason('network', 'unknown'), reason('role', false), reason('pull', true)])).toBe(true)
  })

  it('is unknown when the probe could not decide and nothing failed', () => {
    expect(canPullFrom([reason('role', true), reason('pull', 'unknown')])).toBe('unknown')
  })
})

describe('a custom role the action cannot read', () => {
  it('leaves pull unknown with ARM code and the fix, never "no pull permission"', async () => {
    const guid = '11111111-2222-4333-8444-555555555555'
    const custom = assignment('AcrPull', REGISTRY_ID, {
      roleGuid: guid,
      roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`
    })
    const roleAssignments = {
      permissionsOf: async () => ({ unreadable: 'HTTP 403: AuthorizationFailed: no read on roleDefinitions' })
    } as unknown as RoleAssignments
    const access = await kubeletAccess(roleAssignments, registry({ id: REGISTRY_ID }), KUBELET, undefined, new Set(), [custom])
    expect(access.canPull).toBe('unknown')
    expect(access.findings.join()).toMatch(
      /may or may not grant pull: its role definition could not be read \(HTTP 403: AuthorizationFailed.*grant the signed-in identity Reader/
    )
  })
})
