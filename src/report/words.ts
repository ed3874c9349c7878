import type { PermissionsMode } from '../azure/registries.js'

/** The permissions modes as the portal names them, everywhere a person reads them. */
export function permissionsModeName(mode: PermissionsMode): string {
  return mode === 'AbacRepositoryPermissions' ? 'RBAC registry + ABAC repository permissions' : 'RBAC registry permissions'
}
