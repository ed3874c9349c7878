import type { Registry } from '../azure/registries.js'
import { grantsPull, type RolePermissions } from '../azure/pull-access.js'
import { roleNameOf } from '../azure/roles.js'
import type { AzureSession } from './azure-session.js'

export interface KubeletAccess {
  /** true: some assignment grants pull; false: none does; 'unknown': only conditions this action cannot read. */
  canPull: boolean | 'unknown'
  /** One line per assignment of the kubelet identity that covers the registry, and what it means. */
  findings: string[]
}

/**
 * Asks Azure, now, whether the kubelet identity holds a role that lets it pull `repository` from
 * the registry under its permissions mode, inherited assignments (resource group, subscription)
 * included. Custom roles are judged by their definitions.
 */
export async function kubeletAccess(session: AzureSession, registry: Registry, kubeletObjectId: string, repository: string | undefined): Promise<KubeletAccess> {
  const assignments = (await session.roleAssignments.listAtScope(registry.id)).filter((a) => a.principalId === kubeletObjectId.toLowerCase())
  // Custom role definitions are read once each, all at once.
  const isBuiltIn = (roleDefinitionId: string, roleGuid: string) => roleNameOf(roleDefinitionId) !== roleGuid
  const custom = new Map(assignments.filter((a) => !isBuiltIn(a.roleDefinitionId, a.roleGuid)).map((a) => [a.roleGuid, a.roleDefinitionId]))
  const definitions = new Map<string, RolePermissions | undefined>(
    await Promise.all([...custom].map(async ([guid, id]) => [guid, await session.roleAssignments.permissionsOf(id)] as const))
  )
  const findings: string[] = []
  let canPull: boolean | 'unknown' = false
  for (const assignment of assignments) {
    const builtIn = isBuiltIn(assignment.roleDefinitionId, assignment.roleGuid)
    const permissions = builtIn ? undefined : definitions.get(assignment.roleGuid)
    const verdict = grantsPull(registry.permissionsMode, assignment.roleGuid, permissions, assignment.condition, repository)
    const role = builtIn ? roleNameOf(assignment.roleDefinitionId) : `custom role ${assignment.roleGuid}`
    const where = assignment.scope.toLowerCase() === registry.id.toLowerCase() ? 'the registry' : assignment.scope
    if (verdict.allowed === true) {
      canPull = true
      findings.push(`${role} at ${where} grants pull`)
    } else {
      if (verdict.allowed === 'unknown' && canPull === false) canPull = 'unknown'
      findings.push(`${role} at ${where} does not grant pull: ${verdict.why}`)
    }
  }
  return { canPull, findings }
}
