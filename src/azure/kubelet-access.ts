import type { Registry } from './registries.js'
import { grantsPull, type PullVerdict, type RolePermissions } from './pull-access.js'
import type { Assignment, RoleAssignments } from './role-assignments.js'
import { roleNameOf } from './roles.js'
import { ago } from '../words.js'

/**
 * Azure RBAC changes are listed by ARM at once but honoured by the registry's data plane minutes
 * later (Microsoft says up to about 10; pulls commonly fail for 1-2). A grant younger than this is
 * treated as possibly not in effect yet (docs/azure.md, "RBAC propagation").
 */
export const PROPAGATION_WINDOW_MS = 30 * 60 * 1000

/** An assignment that grants the kubelet identity pull, and how old it is. */
export interface PullGrant {
  role: string
  /** `the registry`, or the scope it is inherited from. */
  where: string
  createdOn: Date | undefined
  /** This run created it (so it is fresh whatever the clocks say). */
  createdByThisRun: boolean
}

export interface KubeletAccess {
  /** true: some assignment grants pull; false: none does; 'unknown': only conditions this action cannot read. */
  canPull: boolean | 'unknown'
  /** One line per assignment of the kubelet identity that covers the registry, and what it means. */
  findings: string[]
  /** The assignments that grant pull. */
  grants: PullGrant[]
}

/**
 * Whether the kubelet identity holds a role that lets it pull `repository` from the registry under
 * its permissions mode, inherited assignments (resource group, subscription) included: from the
 * assignments at and above the registry when the run already knows them, else asked of Azure now.
 * Custom roles are judged by their definitions.
 */
export async function kubeletAccess(
  roleAssignments: RoleAssignments,
  registry: Registry,
  kubeletObjectId: string,
  repository: string | undefined,
  createdThisRun: ReadonlySet<string> = new Set(),
  known?: Assignment[]
): Promise<KubeletAccess> {
  const all = known ?? (await roleAssignments.listAtScope(registry.id))
  const assignments = all.filter((a) => a.principalId.toLowerCase() === kubeletObjectId.toLowerCase())
  // Custom role definitions are read once each, all at once.
  const isBuiltIn = (roleDefinitionId: string, roleGuid: string) => roleNameOf(roleDefinitionId) !== roleGuid
  const custom = new Map(assignments.filter((a) => !isBuiltIn(a.roleDefinitionId, a.roleGuid)).map((a) => [a.roleGuid, a.roleDefinitionId]))
  const definitions = new Map<string, RolePermissions | { unreadable: string }>(
    await Promise.all([...custom].map(async ([guid, id]) => [guid, await roleAssignments.permissionsOf(id)] as const))
  )
  const findings: string[] = []
  const grants: PullGrant[] = []
  let canPull: boolean | 'unknown' = false
  for (const assignment of assignments) {
    const builtIn = isBuiltIn(assignment.roleDefinitionId, assignment.roleGuid)
    const definition = builtIn ? undefined : definitions.get(assignment.roleGuid)
    const verdict: PullVerdict =
      definition && 'unreadable' in definition
        ? {
            allowed: 'unknown',
            why: `its role definition could not be read (${definition.unreadable}); grant the signed-in identity Reader on the registry's subscription to let the action judge it`
          }
        : grantsPull(registry.permissionsMode, assignment.roleGuid, definition, assignment.condition, repository)
    const role = builtIn ? roleNameOf(assignment.roleDefinitionId) : `custom role ${assignment.roleGuid}`
    const where = assignment.scope.toLowerCase() === registry.id.toLowerCase() ? 'the registry' : assignment.scope
    if (verdict.allowed === true) {
      canPull = true
      findings.push(`${role} at ${where} grants pull`)
      grants.push({ role, where, createdOn: assignment.createdOn, createdByThisRun: createdThisRun.has(assignment.id.toLowerCase()) })
    } else {
      if (verdict.allowed === 'unknown' && canPull === false) canPull = 'unknown'
      findings.push(
        `${role} at ${where} ${verdict.allowed === 'unknown' ? 'may or may not grant pull' : 'does not grant pull'}: ${verdict.why}`
      )
    }
  }
  return { canPull, findings, grants }
}

/**
 * When every pull grant is younger than the propagation window, the one being waited for: the
 * oldest, which should take effect first. Undefined when some grant has had time to propagate.
 */
export function pendingGrant(grants: PullGrant[], now = Date.now()): PullGrant | undefined {
  if (grants.length === 0 || grants.some((grant) => !isFresh(grant, now))) return undefined
  const created = (grant: PullGrant) => grant.createdOn?.getTime() ?? now
  return [...grants].sort((a, b) => created(a) - created(b))[0]
}

export function isFresh(grant: PullGrant, now = Date.now()): boolean {
  if (grant.createdByThisRun) return true
  return grant.createdOn !== undefined && now - grant.createdOn.getTime() < PROPAGATION_WINDOW_MS
}

/** `AcrPull grant created 40s ago`, `AcrPull grant this run created`. */
export function describeGrant(grant: PullGrant, now = Date.now()): string {
  return grant.createdOn ? `${grant.role} grant created ${ago(grant.createdOn, now)}` : `${grant.role} grant this run created`
}
