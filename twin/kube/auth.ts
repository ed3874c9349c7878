/**
 * Who is calling a cluster's API server and what they may do.
 * - Local accounts: the static bearer tokens of the user and admin kubeconfigs
 *   (users `clusterUser` / `clusterAdmin`, group `system:masters`); refused when
 *   the cluster disables local accounts.
 * - Entra ID clusters: an access token for the AKS server app
 *   (`6dae42f8-...`) from the twin's Entra; the user is the token's `oid`, as
 *   AKS names service principals. With Azure RBAC the Kubernetes request is
 *   decided by data actions of AKS RBAC role assignments on the cluster (or its
 *   namespace scope); without it by the cluster's own grants (`kube.grant`).
 * - Deny rules from tests override everything, with the RBAC 403 wording.
 */
import type { Entra } from '../entra.ts'
import { AKS_SERVER_APP } from '../entra.ts'
import type { Cluster, TwinState } from '../state.ts'
import type { KubeError } from './status.ts'
import { forbidden } from './status.ts'

export interface KubeUser {
  name: string
  groups: string[]
  oid?: string
  local: boolean
}

export interface DenyRule {
  user?: string
  verb?: string
  resource?: string
  group?: string
  namespace?: string
  name?: string
  subresource?: string
}

/** Kubernetes' default user-facing ClusterRoles, for Entra principals on non-Azure-RBAC clusters. */
export type KubeRole = 'cluster-admin' | 'admin' | 'edit' | 'view'

export interface Attributes {
  verb: string
  group: string
  resource: string
  subresource?: string
  namespace?: string
  name?: string
  clusterScoped: boolean
}

export function authenticate(header: string | undefined, cluster: Cluster, state: TwinState, entra: Entra): KubeUser | undefined {
  const token = header?.replace(/^Bearer\s+/i, '').trim()
  if (!token || !/^Bearer\s/i.test(header ?? '')) return undefined
  const kube = cluster.kube
  if (!cluster.disableLocalAccounts) {
    if (token === kube.tokens.user) return { name: 'clusterUser', groups: ['system:masters', 'system:authenticated'], local: true }
    if (token === kube.tokens.admin) return { name: 'clusterAdmin', groups: ['system:masters', 'system:authenticated'], local: true }
  }
  if (!cluster.aad) return undefined
  const check = entra.checkBearer(header)
  if (!check.ok) return undefined
  const c = check.claims
  const tenant = state.subscription(cluster.subscriptionId)?.tenantId ?? ''
  const aud = String(c.aud ?? '')
  if (aud !== AKS_SERVER_APP && aud !== `spn:${AKS_SERVER_APP}`) return undefined
  if (String(c.tid ?? '').toLowerCase() !== tenant.toLowerCase()) return undefined
  const oid = String(c.oid ?? '')
  const groups = Array.isArray(c.groups) ? c.groups.map(String) : []
  return { name: oid, groups: [...groups, 'system:authenticated'], oid, local: false }
}

const READ = new Set(['get', 'list', 'watch'])
const NAMESPACED_ADMIN_DENY = new Set(['namespaces', 'nodes', 'customresourcedefinitions'])

function roleAllows(role: KubeRole, a: Attributes): boolean {
  if (role === 'cluster-admin') return true
  if (a.clusterScoped && !READ.has(a.verb)) return false
  if (NAMESPACED_ADMIN_DENY.has(a.resource) && !READ.has(a.verb)) return false
  if (role === 'view') return READ.has(a.verb) && a.resource !== 'secrets'
  return true
}

/** Azure RBAC data action for a Kubernetes request: `.../managedClusters/apps/deployments/write`. */
export function dataAction(a: Attributes): string {
  const op = READ.has(a.verb) ? 'read' : a.verb === 'delete' || a.verb === 'deletecollection' ? 'delete' : 'write'
  return `Microsoft.ContainerService/managedClusters/${a.group ? a.group + '/' : ''}${a.resource}${a.subresource ? '/' + a.subresource : ''}/${op}`
}

const matches = (rule: DenyRule, user: KubeUser, a: Attributes) =>
  (!rule.user || rule.user === user.name || rule.user === user.oid) &&
  (!rule.verb || rule.verb === a.verb) &&
  (!rule.resource || rule.resource === a.resource) &&
  (rule.group === undefined || rule.group === a.group) &&
  (!rule.namespace || rule.namespace === a.namespace) &&
  (!rule.name || rule.name === a.name) &&
  (rule.subresource === undefined || rule.subresource === (a.subresource ?? ''))

export function authorize(user: KubeUser, a: Attributes, cluster: Cluster, state: TwinState): KubeError | undefined {
  const kube = cluster.kube
  const deny = () => {
    const e = forbidden(undefined, a.resource, a.group, a.name, user.name, a.verb, a.clusterScoped ? undefined : a.namespace, a.subresource)
    if (cluster.azureRbac && !user.local)
      e.body.message += ': User does not have access to the resource in Azure. Update role assignment to allow access.'
    return e
  }
  if (kube.denyRules.some((r) => matches(r, user, a))) return deny()
  if (user.groups.includes('system:masters')) return undefined
  const grants = kube.grants.filter(
    (g) => g.principalId.toLowerCase() === (user.oid ?? '').toLowerCase() && (!g.namespace || g.namespace === a.namespace)
  )
  if (grants.some((g) => roleAllows(g.role, a))) return undefined
  if (cluster.azureRbac && user.oid) {
    const scope = a.namespace && !a.clusterScoped ? `${cluster.id}/namespaces/${a.namespace}` : cluster.id
    if (state.can(user.oid, dataAction(a), scope, true)) return undefined
  }
  return deny()
}
