import { assignmentName } from '../azure/assignment-name.js'
import type { Assignment, AssignmentRequest } from '../azure/role-assignments.js'
import { repositoryCondition, sameCondition } from '../azure/repository-condition.js'
import { ATTACH_ROLES, pullRoleFor, roleNameOf, type PullRole } from '../azure/roles.js'
import { InputError } from '../settings/input-error.js'
import type { Settings } from '../settings/settings.js'
import type { Discovery } from './discovery.js'

export type Change =
  | { kind: 'create-assignment'; request: AssignmentRequest }
  | { kind: 'keep-assignment'; assignment: Assignment; roleName: string }
  | { kind: 'delete-assignment'; assignment: Assignment; roleName: string }

export interface StepPlan {
  mode: 'attach' | 'detach'
  changes: Change[]
  /** Facts the person running this should know that change nothing (inherited or ignored grants). */
  notes: string[]
}

export interface Plan {
  role: PullRole
  steps: StepPlan[]
}

/** Pure: the same settings and discovery always give the same plan, which is what dry runs print. */
export function buildPlan(settings: Settings, discovery: Discovery): Plan {
  const role = pullRoleFor(discovery.registry.permissionsMode)
  if (settings.repositories.length > 0 && discovery.registry.permissionsMode !== 'AbacRepositoryPermissions') {
    throw new InputError(
      'repositories',
      `registry '${discovery.registry.name}' uses legacy registry permissions, where a pull role always covers every repository; ` +
        "remove 'repositories', or switch the registry to ABAC repository permissions (az acr update --role-assignment-mode rbac-abac)"
    )
  }
  const steps: StepPlan[] = []
  for (const mode of settings.modes) {
    if (mode === 'attach') steps.push(planAttach(settings, discovery, role))
    if (mode === 'detach') steps.push(planDetach(discovery))
  }
  return { role, steps }
}

function isKubelet(discovery: Discovery, assignment: Assignment): boolean {
  return assignment.principalId.toLowerCase() === discovery.kubeletObjectId.toLowerCase()
}

function atRegistry(discovery: Discovery, assignment: Assignment): boolean {
  return assignment.scope.toLowerCase() === discovery.registry.id.toLowerCase()
}

function planAttach(settings: Settings, discovery: Discovery, role: PullRole): StepPlan {
  const { registry } = discovery
  const condition = role.name === 'AcrPull' ? undefined : repositoryCondition(settings.repositories)
  const notes: string[] = []
  const kubelets = discovery.assignments.filter((a) => isKubelet(discovery, a))

  if (registry.permissionsMode === 'AbacRepositoryPermissions') {
    for (const legacy of kubelets.filter((a) => a.roleGuid === pullRoleFor('LegacyRegistryPermissions').guid)) {
      notes.push(`The kubelet identity's AcrPull at ${legacy.scope} is not honoured on a registry in ABAC repository-permissions mode; ${role.name} is used instead`)
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
    return { mode: 'attach', changes: [{ kind: 'keep-assignment', assignment: keep, roleName: role.name }], notes }
  }
  const request: AssignmentRequest = {
    scope: registry.id,
    name: assignmentName(registry.id, role.guid, discovery.kubeletObjectId),
    roleGuid: role.guid,
    roleName: role.name,
    principalId: discovery.kubeletObjectId,
    condition
  }
  return { mode: 'attach', changes: [{ kind: 'create-assignment', request }], notes }
}

function planDetach(discovery: Discovery): StepPlan {
  const attachRoles = new Set(ATTACH_ROLES.map((r) => r.guid))
  const kubelets = discovery.assignments.filter((a) => isKubelet(discovery, a))
  const changes: Change[] = kubelets
    .filter((a) => atRegistry(discovery, a) && attachRoles.has(a.roleGuid))
    .map((assignment) => ({ kind: 'delete-assignment', assignment, roleName: roleNameOf(assignment.roleGuid) }))
  const notes = kubelets
    .filter((a) => !changes.some((c) => c.kind === 'delete-assignment' && c.assignment.id === a.id))
    .map((a) => `Left alone: the kubelet identity's ${roleNameOf(a.roleGuid)} at ${a.scope} (not created by attach); it may still let the cluster pull`)
  return { mode: 'detach', changes, notes }
}
