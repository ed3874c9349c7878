import type { PermissionsMode } from './registries.js'

/** Built-in role definition GUIDs (the same in every cloud and subscription). */
export const ROLES = {
  AcrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d',
  AcrPush: '8311e382-0749-4cb8-b61a-304f252e45ec',
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
  Contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  Owner: '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
  'Container Registry Repository Reader': 'b93aa761-3e63-49ed-ac28-beffa264f7ac',
  'Container Registry Repository Writer': '2a1e307c-b015-4ebd-883e-5b7698a07328',
  'Container Registry Repository Contributor': '2efddaa5-3f1f-4df3-97df-af3f13818f4c'
} as const
export type RoleName = keyof typeof ROLES

export interface PullRole {
  name: RoleName
  guid: string
}

/**
 * The role attach grants. In the ABAC mode ACR ignores AcrPull entirely, so granting it there (as
 * `az aks update --attach-acr` does) would report success and leave the nodes unable to pull.
 */
export function pullRoleFor(mode: PermissionsMode): PullRole {
  const name: RoleName = mode === 'AbacRepositoryPermissions' ? 'Container Registry Repository Reader' : 'AcrPull'
  return { name, guid: ROLES[name] }
}

/** The roles attach may ever have created; detach removes these and nothing else. */
export const ATTACH_ROLES: readonly PullRole[] = [
  { name: 'AcrPull', guid: ROLES.AcrPull },
  { name: 'Container Registry Repository Reader', guid: ROLES['Container Registry Repository Reader'] }
]

export function roleDefinitionId(subscriptionId: string, roleGuid: string): string {
  return `/subscriptions/${subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleGuid}`
}

/** The GUID at the end of a role definition ID, in whichever scope form ARM returned it. */
export function roleGuidOf(roleDefinitionId: string | undefined): string {
  return (roleDefinitionId ?? '').split('/').pop()!.toLowerCase()
}

export function roleNameOf(roleDefinitionId: string | undefined): string {
  const guid = roleGuidOf(roleDefinitionId)
  const entry = Object.entries(ROLES).find(([, id]) => id === guid)
  return entry ? entry[0] : guid
}
