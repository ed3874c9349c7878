import type { PermissionsMode } from './registries.js'
import { ROLES } from './roles.js'

/** What a role definition allows, for roles that are not built-in. */
export interface RolePermissions {
  actions: string[]
  notActions: string[]
  dataActions: string[]
  notDataActions: string[]
}

const LEGACY_PULL_ROLES = new Set<string>([ROLES.AcrPull, ROLES.AcrPush, ROLES.Reader, ROLES.Contributor, ROLES.Owner])
const ABAC_PULL_ROLES = new Set<string>([
  ROLES['Container Registry Repository Reader'],
  ROLES['Container Registry Repository Writer'],
  ROLES['Container Registry Repository Contributor']
])
const PULL_ACTION = 'Microsoft.ContainerRegistry/registries/pull/read'
const CONTENT_READ = 'Microsoft.ContainerRegistry/registries/repositories/content/read'

/** Azure's operation matching: case-insensitive, `*` matching any run of characters. */
function matches(pattern: string, operation: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
      .join('.*')}$`,
    'i'
  )
  return regex.test(operation)
}

function allows(granted: string[], denied: string[], operation: string): boolean {
  return granted.some((p) => matches(p, operation)) && !denied.some((p) => matches(p, operation))
}

export type PullVerdict = { allowed: true } | { allowed: false; why: string } | { allowed: 'unknown'; why: string }

/**
 * Pure: does an assignment of this role (with this condition) let its principal pull `repository`
 * from a registry in this permissions mode? Legacy mode honours the registry-wide pull action;
 * ABAC mode only the repository content-read data action, limited by the assignment's condition.
 */
export function grantsPull(
  mode: PermissionsMode,
  roleGuid: string,
  permissions: RolePermissions | undefined,
  condition: string | undefined,
  repository: string | undefined
): PullVerdict {
  if (mode === 'LegacyRegistryPermissions') {
    if (LEGACY_PULL_ROLES.has(roleGuid)) return { allowed: true }
    if (permissions && allows(permissions.actions, permissions.notActions, PULL_ACTION)) return { allowed: true }
    return { allowed: false, why: 'the role has no pull permission' }
  }
  const granted =
    ABAC_PULL_ROLES.has(roleGuid) ||
    (permissions !== undefined && allows(permissions.dataActions, permissions.notDataActions, CONTENT_READ))
  if (!granted) {
    return {
      allowed: false,
      why: LEGACY_PULL_ROLES.has(roleGuid)
        ? 'the role is not honoured for pulls in ABAC repository-permissions mode'
        : 'the role has no repository content read permission'
    }
  }
  if (!condition) return { allowed: true }
  return conditionAllows(condition, repository)
}

/** Reads the repository tests of an ACR ABAC condition (the form attach writes and the portal offers). */
export function conditionAllows(condition: string, repository: string | undefined): PullVerdict {
  const tests = [
    ...condition.matchAll(
      /repositories:name\]\s+(StringEqualsIgnoreCase|StringStartsWithIgnoreCase|StringEquals|StringStartsWith)\s+'([^']*)'/gi
    )
  ]
  if (tests.length === 0) return { allowed: 'unknown', why: 'the assignment has a condition this action cannot read' }
  if (repository === undefined) return { allowed: 'unknown', why: `limited to repositories ${tests.map((t) => t[2]).join(', ')}` }
  const ok = tests.some(([, operator, value]) => {
    const ignoreCase = /IgnoreCase/i.test(operator!)
    const [subject, expected] = ignoreCase ? [repository.toLowerCase(), value!.toLowerCase()] : [repository, value!]
    return /StartsWith/i.test(operator!) ? subject.startsWith(expected) : subject === expected
  })
  return ok
    ? { allowed: true }
    : {
        allowed: false,
        why: `its condition limits it to ${tests.map((t) => `'${t[2]}'${/StartsWith/i.test(t[1]!) ? '*' : ''}`).join(', ')}`
      }
}
