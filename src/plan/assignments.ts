import { assignmentName } from '../azure/assignment-name.js'
import type { Assignment, AssignmentRequest } from '../azure/role-assignments.js'
import { repositoryCondition, sameCondition } from '../azure/repository-condition.js'
import { ATTACH_ROLES, pullRoleFor, roleNameOf, type PullRole } from '../azure/roles.js'
import { ActionError } from '../errors.js'
import { permissionsModeName } from '../azure/registries.js'
import type { Settings } from '../settings/settings.js'
import type { Discovery } from './discovery.js'

export type Change =
  | { kind: 'create-assignment'; request: AssignmentRequest }
  | { kind: 'keep-assignment'; assignment: Assignment; roleName: string }
  | { kind: 'delete-assignment'; assignment: Assignment; roleName: string }

/** What attach or detach will do to the kubelet identity's pull grants. */
export interface AssignmentPlan {
  mode: 'attach' | 'detach'
  /** attach: the role it grants, the one the registry's permissions mode honours. */
  role: PullRole | undefined
  changes: Change[]
  /** Facts the person running this should know that change nothing (inherited or ignored grants). */
  notes: string[]
}

type Found = Pick<Discovery, 'registry' | 'kubeletObjectId' | 'assignments'>

/**
 * Pure: the same settings and discovery always give the same plan, which is what dry runs print.
 * `repositories` on a legacy-mode registry is refused here, after the registry was read but before
 * anything changed.
 */
export function planAttach(settings: Settings, discovery: Found): AssignmentPlan {
  const role = pullRoleFor(discovery.registry.permissionsMode)
  if (settings.repositories.length > 0 && discovery.registry.permissionsMode !== 'AbacRepositoryPermissions') {
    throw new ActionError(`Input 'repositories' cannot be honoured by registry '${discovery.registry.name}'`, {
      detail: `it uses ${permissionsModeName(discovery.registry.permissionsMode)} (the legacy mode), where a pull role always covers every repository`,
      hint: "Remove 'repositories', or switch the registry to ABAC repository permissions (az acr update --role-assignment-mode rbac-abac)"
    })
  }
  return { ...attachChanges(settings, discovery, role), mode: 'attach', role }
}

function isKubelet(discovery: Found, assignment: Assignment): boolean {
  return assignment.principalId.toLowerCase() === discovery.kubeletObjectId.toLowerCase()
}

function atRegistry(discovery: Found, assignment: Assignment): boolean {
  return assignment.scope.toLowerCase() === discovery.registry.id.toLowerCase()
}

function attachChanges(settings: Settings, discovery: Found, role: PullRole): Pick<AssignmentPlan, 'changes' | 'notes'> {
  const { registry } = discovery
  const condition = role.name === 'AcrPull' ? undefined : repositoryCondition(settings.repositories)
  const notes: string[] = []
  const kubelets = discovery.assignments.filter((a) => isKubelet(discovery, a))

  if (registry.permissionsMode === 'AbacRepositoryPermissions') {
    for (const legacy of kubelets.filter((a) => a.roleGuid === pullRoleFor('LegacyRegistryPermissions').guid)) {
      notes.push(
        `The kubelet identity's AcrPull at ${legacy.scope} is not honoured on a registry in ABAC repository-permissions mode; ${role.name} is used instead`
      )
    }
  }
  for (const inherited of kubelets.filter((a) => a.roleGuid === role.guid && !atRegistry(discovery, a))) {
    notes.push(`The kubelet identity also holds ${role.name} at ${inherited.scope}, inherited by the registry`)
  }

  const existing = kubelets.filter((a) => atRegistry(discovery, a) && a.roleGuid === role.guid)
  const keep = existing.find((a) => sameCondition(a.condition, condition)) ?? existing.find((a) => a.condition === undefined)
  if (keep) {
    if (!sameCondition(keep.condition, condition)) {
      notes.push(`An existing ${role.name} assignment without a condition already grants every repository; 'repositories' adds nothing`)
    }
    return { changes: [{ kind: 'keep-assignment', assignment: keep, roleName: role.name }], notes }
  }
  const request: AssignmentRequest = {
    scope: registry.id,
    name: assignmentName(registry.id, role.guid, discovery.kubeletObjectId),
    roleGuid: role.guid,
    roleName: role.name,
    principalId: discovery.kubeletObjectId,
    condition
  }
  return { changes: [{ kind: 'create-assignment', request }], notes }
}

/** Pure: delete exactly the assignments attach makes (either role, at the registry, for the kubelet); note the rest. */
export function planDetach(discovery: Found): AssignmentPlan {
  const attachRoles = new Set(ATTACH_ROLES.map((r) => r.guid))
  const kubelets = discovery.assignments.filter((a) => isKubelet(discovery, a))
  const changes: Change[] = kubelets
    .filter((a) => atRegistry(discovery, a) && attachRoles.has(a.roleGuid))
    .map((assignment) => ({ kind: 'delete-assignment', assignment, roleName: roleNameOf(assignment.roleGuid) }))
  const notes = kubelets
    .filter((a) => !changes.some((c) => c.kind === 'delete-assignment' && c.assignment.id === a.id))
    .map(
      (a) =>
        `Left alone: the kubelet identity's ${roleNameOf(a.roleGuid)} at ${a.scope} (not created by attach); it may still let the cluster pull`
    )
  return { mode: 'detach', role: undefined, changes, notes }
}
