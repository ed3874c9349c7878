import type { Discovery } from '../../src/plan/discovery.js'
import type { Assignment } from '../../src/azure/role-assignments.js'
import { readSettings, type Settings } from '../../src/settings/settings.js'
import { ROLES } from '../../src/azure/roles.js'
import { InputError } from '../../src/errors.js'

export const SUB = '11111111-2222-3333-4444-555555555555'
export const KUBELET = '0a0a0a0a-0000-4000-8000-000000000001'
export const REGISTRY_ID = `/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerRegistry/registries/myacr01`

export function settingsFor(inputs: Record<string, string> = {}): Settings {
  const all: Record<string, string> = {
    cluster: 'myAKSCluster',
    'resource-group': 'myResourceGroup',
    registry: 'myacr01',
    'subscription-id': SUB,
    'tenant-id': '99999999-9999-9999-9999-999999999999',
    'client-id': '88888888-8888-8888-8888-888888888888',
    ...inputs
  }
  return readSettings((name) => all[name] ?? '', {
    ACTIONS_ID_TOKEN_REQUEST_URL: 'https://example.invalid',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token'
  })
}

export function discoveryWith(
  assignments: Assignment[],
  mode: 'LegacyRegistryPermissions' | 'AbacRepositoryPermissions' = 'LegacyRegistryPermissions'
): Discovery {
  return {
    cluster: {
      id: `/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myAKSCluster`,
      name: 'myAKSCluster',
      resourceGroup: 'myResourceGroup',
      subscriptionId: SUB,
      location: 'westeurope',
      kubelet: { kind: 'managed-identity', objectId: KUBELET, clientId: undefined, resourceId: undefined },
      apiServer: {
        privateCluster: false,
        authorizedIpRanges: [],
        fqdn: 'myakscluster-dns.hcp.westeurope.azmk8s.io',
        privateFqdn: undefined,
        runCommandDisabled: false
      },
      entraId: false
    },
    kubeletObjectId: KUBELET,
    registry: {
      id: REGISTRY_ID,
      name: 'myacr01',
      resourceGroup: 'myResourceGroup',
      subscriptionId: SUB,
      loginServer: 'myacr01.azurecr.io',
      permissionsMode: mode,
      publicNetworkAccess: 'Enabled',
      privateEndpoints: 0,
      networkDefaultAction: 'Allow',
      armTokensAccepted: true
    },
    assignments,
    imports: { sources: [], targetDigests: new Map(), targetsRead: true },
    manifests: []
  }
}

let assignmentCount = 0

export function assignment(role: keyof typeof ROLES, scope: string, overrides: Partial<Assignment> = {}): Assignment {
  const name = overrides.name ?? `00000000-0000-4000-8000-${(++assignmentCount).toString(16).padStart(12, '0')}`
  return {
    id: `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`,
    name,
    scope,
    roleDefinitionId: `/subscriptions/${SUB}/providers/Microsoft.Authorization/roleDefinitions/${ROLES[role]}`,
    roleGuid: ROLES[role],
    principalId: KUBELET,
    condition: undefined,
    createdOn: new Date('2025-01-01T00:00:00Z'),
    ...overrides
  }
}

/** The InputError the inputs are refused with; fails the test when they are accepted. */
export function refusal(inputs: Record<string, string>): InputError {
  try {
    settingsFor(inputs)
  } catch (error) {
    if (error instanceof InputError) return error
    throw error
  }
  throw new Error('expected the settings to be refused')
}
