import type { Registry, TwinState } from '../state.ts'
import { covers } from '../scope.ts'
import { grants } from '../roles.ts'
import { evaluateCondition, REPOSITORY_NAME } from './abac.ts'

/**
 * Who may do what to a repository, under the registry's permissions mode
 * (docs/azure.md). The one place the data plane, the import operation and the
 * kubelet simulation ask, so they can never disagree.
 *
 * - LegacyRegistryPermissions: control-plane actions decide (AcrPull, AcrPush,
 *   Reader, Contributor, Owner, custom roles with `registries/pull/read`);
 *   repository roles and conditions play no part.
 * - AbacRepositoryPermissions: only data actions decide (Container Registry
 *   Repository Reader/Writer/Contributor, custom roles with
 *   `repositories/content/read`), and an assignment's condition is honoured.
 */
export type RepoAction = 'pull' | 'push' | 'delete' | 'metadata_read' | 'metadata_write'

export interface Decision {
  allowed: boolean
  reason: string
}

const CR = 'Microsoft.ContainerRegistry/registries'
const LEGACY: Record<RepoAction, string> = {
  pull: `${CR}/pull/read`,
  metadata_read: `${CR}/pull/read`,
  push: `${CR}/push/write`,
  metadata_write: `${CR}/push/write`,
  delete: `${CR}/artifacts/delete`
}
const ABAC: Record<RepoAction, string> = {
  pull: `${CR}/repositories/content/read`,
  metadata_read: `${CR}/repositories/metadata/read`,
  push: `${CR}/repositories/content/write`,
  metadata_write: `${CR}/repositories/metadata/write`,
  delete: `${CR}/repositories/content/delete`
}
export const CATALOG_DATA_ACTION = `${CR}/catalog/read`

const lc = (s: string) => s.toLowerCase()

function registryOf(state: TwinState, registry: Registry | string): Registry | undefined {
  return typeof registry === 'string'
    ? (state.registryByLoginServer(registry) ?? state.registries.find((r) => lc(r.id) === lc(registry)))
    : registry
}

/**
 * Assignments of a principal that reach the registry (at it, its group, its subscription or the
 * root) and have propagated to the data plane (`state.rbacPropagationMs`).
 */
function reaching(state: TwinState, principalId: string, registry: Registry) {
  return state.assignments
    .filter((a) => lc(a.principalId) === lc(principalId) && covers(a.scope, registry.id) && state.inEffect(a))
    .map((a) => ({ a, def: state.findRole(a.roleDefinitionGuid) }))
    .filter((x): x is { a: typeof x.a; def: NonNullable<typeof x.def> } => !!x.def)
}

/** May `principalId` (undefined = anonymous) perform `action` on `repository` of `registry`? */
export function repositoryAccess(
  state: TwinState,
  principalId: string | undefined,
  registry: Registry | string,
  repository: string,
  action: RepoAction
): Decision {
  const reg = registryOf(state, registry)
  if (!reg) return { allowed: false, reason: `registry ${String(registry)} is not known` }
  if (reg.anonymousPullEnabled && (action === 'pull' || action === 'metadata_read')) {
    return { allowed: true, reason: `anonymous pull is enabled on ${reg.name}` }
  }
  if (!principalId) return { allowed: false, reason: `anonymous ${action} on ${reg.name} is not allowed (anonymousPullEnabled is false)` }
  const mine = reaching(state, principalId, reg)

  if (reg.roleAssignmentMode === 'LegacyRegistryPermissions') {
    const hit = mine.find((x) => grants(x.def, LEGACY[action]))
    if (hit) return { allowed: true, reason: `${hit.def.roleName} at ${hit.a.scope} grants ${LEGACY[action]} (LegacyRegistryPermissions)` }
    const abacOnly = mine.find((x) => grants(x.def, ABAC[action], true))
    return {
      allowed: false,
      reason: abacOnly
        ? `${abacOnly.def.roleName} at ${abacOnly.a.scope} is a repository (ABAC) role, which ${reg.name} does not honour: it uses LegacyRegistryPermissions, where ${action} needs ${LEGACY[action]} (AcrPull, AcrPush, Reader, Contributor or Owner)`
        : `no role assignment of ${principalId} reaching ${reg.name} grants ${LEGACY[action]} (LegacyRegistryPermissions)`
    }
  }

  const excluded: string[] = []
  for (const x of mine) {
    if (!grants(x.def, ABAC[action], true)) continue
    if (!x.a.condition)
      return { allowed: true, reason: `${x.def.roleName} at ${x.a.scope} grants ${ABAC[action]} (AbacRepositoryPermissions)` }
    try {
      if (evaluateCondition(x.a.condition, { action: ABAC[action], request: { [REPOSITORY_NAME]: repository } })) {
        return {
          allowed: true,
          reason: `${x.def.roleName} at ${x.a.scope} grants ${ABAC[action]} on '${repository}' under its condition (AbacRepositoryPermissions)`
        }
      }
      excluded.push(`the condition on ${x.def.roleName} at ${x.a.scope} does not allow repository '${repository}'`)
    } catch (err) {
      excluded.push(`the condition on ${x.def.roleName} at ${x.a.scope} cannot be evaluated (${(err as Error).message})`)
    }
  }
  if (excluded.length) return { allowed: false, reason: excluded.join('; ') }
  const legacyOnly = mine.find((x) => grants(x.def, LEGACY[action]))
  return {
    allowed: false,
    reason: legacyOnly
      ? `${legacyOnly.def.roleName} at ${legacyOnly.a.scope} is not honoured for ${action}: ${reg.name} uses AbacRepositoryPermissions, where ${action} needs ${ABAC[action]} (Container Registry Repository Reader, Writer or Contributor)`
      : `no role assignment of ${principalId} reaching ${reg.name} grants ${ABAC[action]} (AbacRepositoryPermissions)`
  }
}

/** The question the kubelet simulation asks: may principal P pull repository R from registry X? */
export function canPull(state: TwinState, principalId: string | undefined, registry: Registry | string, repository: string): Decision {
  return repositoryAccess(state, principalId, registry, repository, 'pull')
}

/** `registry:catalog:*`: legacy pull rights list repositories; ABAC mode needs the Catalog Lister data action. */
export function canListCatalog(state: TwinState, principalId: string | undefined, registry: Registry | string): Decision {
  const reg = registryOf(state, registry)
  if (!reg) return { allowed: false, reason: `registry ${String(registry)} is not known` }
  if (!principalId) return { allowed: false, reason: 'anonymous catalog listing is not allowed' }
  const mine = reaching(state, principalId, reg)
  const hit =
    reg.roleAssignmentMode === 'LegacyRegistryPermissions'
      ? mine.find((x) => grants(x.def, LEGACY.pull))
      : mine.find((x) => grants(x.def, CATALOG_DATA_ACTION, true))
  return hit
    ? { allowed: true, reason: `${hit.def.roleName} at ${hit.a.scope} lists the catalog` }
    : { allowed: false, reason: `no role assignment of ${principalId} reaching ${reg.name} lists the catalog (${reg.roleAssignmentMode})` }
}
