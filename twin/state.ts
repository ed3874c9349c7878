import { randomUUID } from 'node:crypto'
import { BUILT_IN_ROLES, grants } from './roles.ts'
import type { RoleDefinition } from './roles.ts'
import { covers, normalizeScope, scopeKey, subscriptionOf } from './scope.ts'
import { KubeCluster } from './kube/cluster.ts'
import { buildImage, closure, emptyContent, manifestFromBytes, putImage, resolve } from './registry/content.ts'
import type { ImageShape, Manifest, RegistryContent } from './registry/content.ts'
import { canonicalHost, parseImageRef, parseRepoRef } from './registry/reference.ts'
import { UPSTREAM_CATALOG } from './registry/catalog.ts'
import type { CommandRun } from './arm/run-command.ts'

export interface Tenant {
  id: string
  displayName: string
}
export interface Subscription {
  id: string
  tenantId: string
  displayName: string
}
export interface ResourceGroup {
  subscriptionId: string
  name: string
  location: string
}

export type PrincipalType = 'ServicePrincipal' | 'User' | 'Group'

/** A directory object that can hold roles. `visibleAfter` models Entra replication delay. */
export interface Principal {
  objectId: string
  tenantId: string
  principalType: PrincipalType
  servicePrincipalType?: 'Application' | 'ManagedIdentity'
  appId?: string
  displayName: string
  visibleAfter?: number
}

export interface FederatedCredential {
  name?: string
  issuer: string
  subject: string
  audiences: string[]
}

export interface App {
  tenantId: string
  clientId: string
  /** Object id of the app's service principal: the `oid` of its tokens. */
  objectId: string
  displayName: string
  federatedCredentials: FederatedCredential[]
  /** Application.Read.All on Graph, needed to resolve other service principals. */
  graphRead: boolean
  /**
   * Set for a user-assigned managed identity: Entra finds it by client ID like an app (its federated
   * credentials live on it), and its tokens name this resource ID (`xms_mirid`).
   */
  managedIdentityResourceId?: string
}

export interface UserAssignedIdentity {
  resourceId: string
  clientId: string
  objectId: string
}

/** A user-assigned managed identity (`Microsoft.ManagedIdentity/userAssignedIdentities`) that can sign in. */
export interface ManagedIdentity extends UserAssignedIdentity {
  name: string
  tenantId: string
}

/**
 * The Azure VM or scale set a self-hosted runner runs on, as its instance metadata service sees it.
 * `state.runnerMachine` undefined: the runner is not on Azure, and the metadata address never answers.
 */
export interface RunnerMachine {
  /** `/subscriptions/…/providers/Microsoft.Compute/virtualMachines/<name>` (or `virtualMachineScaleSets`). */
  resourceId: string
  tenantId: string
  systemAssigned: { clientId: string; objectId: string } | undefined
  userAssigned: ManagedIdentity[]
  /** Lifetime of the tokens the metadata service hands out (24 hours, as managed identity tokens live). */
  tokenLifetimeSeconds: number
}

export interface AddManagedIdentityInput {
  subscriptionId: string
  resourceGroup: string
  name: string
  federatedCredentials?: FederatedCredential[]
}

export interface SetRunnerMachineInput {
  subscriptionId: string
  resourceGroup: string
  name: string
  /** A VM (default) or a scale set instance: the system-assigned identity belongs to the VM or the scale set. */
  kind?: 'vm' | 'vmss'
  systemAssigned?: boolean
  userAssigned?: ManagedIdentity[]
}

export interface Cluster {
  id: string
  subscriptionId: string
  resourceGroup: string
  name: string
  location: string
  identity: 'managedIdentity' | 'servicePrincipal'
  nodeResourceGroup: string
  dnsPrefix: string
  fqdn: string
  kubernetesVersion: string
  /** Managed-identity clusters: the control plane's system-assigned identity. */
  systemPrincipalId?: string
  /** Managed-identity clusters: the identity the kubelet pulls images with. */
  kubelet?: UserAssignedIdentity
  /** Service-principal clusters: the SP both the control plane and kubelet use. */
  servicePrincipal?: { appId: string; objectId: string }
  /** The principal a registry must trust for pulls. */
  pullPrincipalId: string
  /** AKS-managed Entra ID integration (`aadProfile.managed`): user kubeconfigs use kubelogin. */
  aad: boolean
  /** No static credentials: admin kubeconfigs are refused, static tokens stop working. */
  disableLocalAccounts: boolean
  /** Kubernetes authorization by Azure role assignments (AKS RBAC roles' data actions). */
  azureRbac: boolean
  /**
   * A private cluster: its API server answers only at `privateFqdn`, a name that resolves inside the
   * cluster's virtual network alone; ARM shows no public `fqdn` and kubeconfigs name the private one.
   */
  privateCluster: boolean
  privateFqdn: string | undefined
  /** API server authorized IP ranges: connections from anywhere else are dropped (they time out). */
  authorizedIpRanges: string[]
  /** The runner sits in the cluster's network or an authorized range (a self-hosted runner there). */
  runnerInNetwork: boolean
  /** `apiServerAccessProfile.disableRunCommand`. */
  disableRunCommand: boolean
  /** `oidcIssuerProfile.issuerURL`: the issuer of its service account tokens, which Entra can trust (`workload-identity.ts`). */
  oidcIssuerUrl: string | undefined
  /** `securityProfile.workloadIdentity.enabled`: the webhook projects tokens into labelled pods. */
  workloadIdentity: boolean
  /** The cluster's Kubernetes API server (non-enumerable: the model stays plain JSON). */
  kube: KubeCluster
}

export type RoleAssignmentMode = 'LegacyRegistryPermissions' | 'AbacRepositoryPermissions'

export interface Registry {
  id: string
  subscriptionId: string
  resourceGroup: string
  name: string
  location: string
  loginServer: string
  sku: 'Basic' | 'Standard' | 'Premium'
  roleAssignmentMode: RoleAssignmentMode
  publicNetworkAccess: 'Enabled' | 'Disabled'
  adminUserEnabled: boolean
  anonymousPullEnabled: boolean
  creationDate: string
}

export interface RoleAssignment {
  name: string
  scope: string
  roleDefinitionGuid: string
  principalId: string
  principalType: PrincipalType
  condition: string | null
  conditionVersion: string | null
  description: string | null
  createdOn: string
  updatedOn: string
  createdBy: string | null
  updatedBy: string | null
}

export interface AddAppInput {
  tenantId: string
  clientId: string
  objectId?: string
  displayName?: string
  federatedCredentials: FederatedCredential[]
  graphRead?: boolean
}

export interface AddClusterInput {
  subscriptionId: string
  resourceGroup: string
  name: string
  location?: string
  identity: 'managedIdentity' | 'servicePrincipal'
  /** Delay before the pull identity is visible to ARM role assignment (replication). */
  kubeletVisibleAfterMs?: number
  kubernetesVersion?: string
  aad?: boolean
  disableLocalAccounts?: boolean
  azureRbac?: boolean
  privateCluster?: boolean
  authorizedIpRanges?: string[]
  runnerInNetwork?: boolean
  disableRunCommand?: boolean
  /** `--enable-oidc-issuer` (implied by `workloadIdentity`). */
  oidcIssuer?: boolean
  /** `--enable-workload-identity`. */
  workloadIdentity?: boolean
}

export interface AddRegistryInput {
  subscriptionId: string
  resourceGroup: string
  name: string
  location?: string
  roleAssignmentMode?: RoleAssignmentMode
  publicNetworkAccess?: 'Enabled' | 'Disabled'
  sku?: 'Basic' | 'Standard' | 'Premium'
  /** Defaults to `<name>.azurecr.io`; set `.azurecr.cn`/`.azurecr.us` for other clouds. */
  loginServer?: string
}

export interface AddRoleAssignmentInput {
  scope: string
  /** Built-in or custom role name, or a role definition GUID / id. */
  role: string
  principalId: string
  principalType?: PrincipalType
  condition?: string
  conditionVersion?: string
  name?: string
  createdBy?: string
  /** When ARM says it was created (ISO time); default now. Older grants have propagated long ago. */
  createdOn?: string
}

export interface AddCustomRoleInput {
  subscriptionId: string
  name: string
  actions: string[]
  dataActions?: string[]
  guid?: string
}

export interface AddImageOptions {
  /** Copy an upstream image (`docker.io/library/nginx:latest`): same bytes, same digest. */
  from?: string
  /** Seed for the generated manifest; defaults to `<loginServer>/<repo>:<tag>`. */
  seed?: string
  shape?: ImageShape
  /** Your own manifest JSON (object or exact bytes); the digest is computed over the bytes. */
  manifest?: string | Record<string, unknown>
  mediaType?: string
  /** Force this digest (the served bytes then do not hash to it: use only when a test needs a fixed value). */
  digest?: string
}

export interface AddUpstreamImageOptions {
  /** Basic credentials the repository requires (it becomes private). */
  username?: string
  password?: string
  shape?: ImageShape
  manifest?: string | Record<string, unknown>
  mediaType?: string
}

export interface ImageListing {
  repository: string
  tag: string
  digest: string
  mediaType: string
}

export interface RoleAssignmentFilter {
  scope?: string
  principalId?: string
  role?: string
}

const lc = (s: string) => s.toLowerCase()
const GUID_RE = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

export class TwinState {
  tenants: Tenant[] = []
  subscriptions: Subscription[] = []
  resourceGroups: ResourceGroup[] = []
  principals: Principal[] = []
  apps: App[] = []
  clusters: Cluster[] = []
  registries: Registry[] = []
  managedIdentities: ManagedIdentity[] = []
  /** The runner's Azure machine; undefined: the runner is not on Azure (GitHub-hosted, or elsewhere). */
  runnerMachine: RunnerMachine | undefined = undefined
  /** Off Azure, on another cloud's VM: its own metadata service answers at the link-local address. */
  foreignMetadataService = false
  assignments: RoleAssignment[] = []
  customRoles: RoleDefinition[] = []
  /** Items per page of ARM list answers, small in tests so `nextLink` paging is exercised. */
  pageSize = 100
  /** Entra's newer, narrower codes (700211/700212/700213) instead of AADSTS70021. */
  ficErrorStyle: 'legacy' | 'specific' = 'legacy'
  /**
   * A repeated PUT of an identical assignment under the same name: 'conflict'
   * answers 409 RoleAssignmentExists; 'ok' answers 200 with the existing one
   * (what template redeployments appear to get). Clients must handle both.
   */
  sameNamePut: 'conflict' | 'ok' = 'conflict'
  /** Registry contents by host: ACR login servers and upstreams (`docker.io`, `mcr.microsoft.com`, `quay.io`). */
  registryContent = new Map<string, RegistryContent>()
  /** Private upstream repositories (`host/repo`) and the basic credentials they accept. */
  upstreamCredentials = new Map<string, { username: string; password: string }>()
  /**
   * Lifetime of the access tokens the twin's Entra issues. Real ones live 60-90 minutes; tests
   * shorten it to prove a long rollout renews its cluster token.
   */
  tokenLifetimeSeconds = 3600
  /**
   * How long a new role assignment takes to reach the registries' data planes (the token
   * endpoint and kubelet pulls), while ARM lists it at once. Real Azure: seconds to about 10
   * minutes. 0 (the default for tests that are not about it) makes grants effective at once.
   */
  rbacPropagationMs = 0
  /** How long each importImage operation runs before its result is final. */
  importDurationMs = 400
  /** Retry-After on importImage 202s; unset by default, as ACR answered in 2026 (it sent 10 in 2022). */
  importRetryAfterSeconds: number | undefined = undefined
  /**
   * How long a managed cluster PUT (`az aks update`) runs as a long-running operation before the
   * cluster reads Succeeded again. Real AKS takes minutes; tests want seconds.
   */
  clusterOperationMs = 3000
  /**
   * AKS run command: how long the command pod takes to start (real AKS: seconds, sometimes
   * more than the 30 s it waits for it); small by default so tests stay fast.
   */
  runCommandStartMs = 500
  /** How long AKS waits for the command pod to start before the command fails (real: 30 s). */
  runCommandStartDeadlineMs = 30_000
  /** A waiting reason (e.g. 'ImagePullBackOff', 'Unschedulable') makes every command pod never start. */
  runCommandStartFailure: string | undefined = undefined
  /**
   * Where a pod that never starts shows: 'sync' (real AKS, azure-cli#27776): the POST itself
   * waits for the start and fails with 400 KubernetesPerformanceError; 'async' (the REST
   * examples' shape): 202 at once, then a `Failed` result with the `reason`.
   */
  runCommandStartWait: 'sync' | 'async' = 'sync'
  /** Logs beyond this many bytes are cut (AKS: 512 kB; the first bytes are kept). */
  runCommandLogsCapBytes = 512 * 1024
  /** The command is killed after this long and the result is `Failed`/`DeadlineExceeded` (AKS's limit is not published). */
  runCommandTimeLimitMs = 3_600_000
  /** Every command the twin was asked to run, in order (see arm/run-command.ts). */
  commandRuns: CommandRun[] = []
  /** How long creating a registry (PUT, a long-running operation) takes; real ACR: about 10-15 s. */
  registryCreateMs = 1500

  constructor() {
    for (const e of UPSTREAM_CATALOG) this.addUpstreamImage(e.ref, e)
  }

  addTenant(input: { id?: string; displayName?: string } = {}): Tenant {
    const t = { id: input.id ?? randomUUID(), displayName: input.displayName ?? 'Default Directory' }
    this.tenants.push(t)
    return t
  }

  addSubscription(id: string, opts: { tenantId?: string; displayName?: string } = {}): Subscription {
    const tenantId = opts.tenantId ?? this.tenants[0]?.id ?? this.addTenant().id
    const s = { id, tenantId, displayName: opts.displayName ?? `Subscription ${id.slice(0, 8)}` }
    this.subscriptions.push(s)
    return s
  }

  addResourceGroup(subscriptionId: string, name: string, location = 'eastus'): ResourceGroup {
    const existing = this.resourceGroup(subscriptionId, name)
    if (existing) return existing
    if (!this.subscription(subscriptionId)) this.addSubscription(subscriptionId)
    const rg = { subscriptionId, name, location }
    this.resourceGroups.push(rg)
    return rg
  }

  addPrincipal(input: Partial<Principal> & { visibleAfterMs?: number } = {}): Principal {
    const { visibleAfterMs, ...rest } = input
    const p: Principal = {
      objectId: randomUUID(),
      tenantId: this.tenants[0]?.id ?? this.addTenant().id,
      principalType: 'ServicePrincipal',
      displayName: 'principal',
      ...rest
    }
    if (visibleAfterMs !== undefined) p.visibleAfter = Date.now() + visibleAfterMs
    this.principals.push(p)
    return p
  }

  addApp(input: AddAppInput): App {
    const app: App = {
      tenantId: input.tenantId,
      clientId: input.clientId,
      objectId: input.objectId ?? randomUUID(),
      displayName: input.displayName ?? 'github-actions-deployer',
      federatedCredentials: input.federatedCredentials.map((f) => ({ ...f, audiences: [...f.audiences] })),
      graphRead: input.graphRead ?? false
    }
    if (!this.tenant(app.tenantId)) this.addTenant({ id: app.tenantId })
    this.apps.push(app)
    this.addPrincipal({
      objectId: app.objectId,
      tenantId: app.tenantId,
      principalType: 'ServicePrincipal',
      servicePrincipalType: 'Application',
      appId: app.clientId,
      displayName: app.displayName
    })
    return app
  }

  addCluster(input: AddClusterInput): Cluster {
    const location = input.location ?? this.resourceGroup(input.subscriptionId, input.resourceGroup)?.location ?? 'eastus'
    this.addResourceGroup(input.subscriptionId, input.resourceGroup, location)
    const tenantId = this.subscription(input.subscriptionId)!.tenantId
    const nodeResourceGroup = `MC_${input.resourceGroup}_${input.name}_${location}`
    const dnsPrefix = `${input.name}-${input.resourceGroup}-${input.subscriptionId.slice(0, 6)}`.toLowerCase()
    const visibleAfterMs = input.kubeletVisibleAfterMs
    const base = {
      id: `/subscriptions/${input.subscriptionId}/resourceGroups/${input.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${input.name}`,
      subscriptionId: input.subscriptionId,
      resourceGroup: input.resourceGroup,
      name: input.name,
      location,
      identity: input.identity,
      nodeResourceGroup,
      dnsPrefix,
      fqdn: `${dnsPrefix}-${randomUUID().slice(0, 8)}.hcp.${location}.azmk8s.io`,
      kubernetesVersion: input.kubernetesVersion ?? '1.32.7',
      aad: input.aad ?? input.azureRbac ?? input.disableLocalAccounts ?? false,
      disableLocalAccounts: input.disableLocalAccounts ?? false,
      azureRbac: input.azureRbac ?? false,
      privateCluster: input.privateCluster ?? false,
      privateFqdn: undefined as string | undefined,
      authorizedIpRanges: input.authorizedIpRanges ?? [],
      runnerInNetwork: input.runnerInNetwork ?? false,
      disableRunCommand: input.disableRunCommand ?? false,
      // AKS's issuer URL form: per region, tenant and cluster.
      oidcIssuerUrl:
        input.oidcIssuer || input.workloadIdentity ? `https://${location}.oic.prod-aks.azure.com/${tenantId}/${randomUUID()}/` : undefined,
      workloadIdentity: input.workloadIdentity ?? false
    }
    if (base.privateCluster) {
      base.privateFqdn = `${dnsPrefix}-${randomUUID().slice(0, 8)}.privatelink.${location}.azmk8s.io`
      // The API server answers at its private name only.
      base.fqdn = base.privateFqdn
    }
    let cluster: Omit<Cluster, 'kube'>
    if (input.identity === 'managedIdentity') {
      const system = this.addPrincipal({
        tenantId,
        servicePrincipalType: 'ManagedIdentity',
        appId: randomUUID(),
        displayName: input.name
      })
      const kubeletName = `${input.name}-agentpool`
      const kubelet = this.addPrincipal({
        tenantId,
        servicePrincipalType: 'ManagedIdentity',
        appId: randomUUID(),
        displayName: kubeletName,
        visibleAfterMs
      })
      cluster = {
        ...base,
        systemPrincipalId: system.objectId,
        kubelet: {
          resourceId: `/subscriptions/${input.subscriptionId}/resourcegroups/${nodeResourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${kubeletName}`,
          clientId: kubelet.appId!,
          objectId: kubelet.objectId
        },
        pullPrincipalId: kubelet.objectId
      }
    } else {
      const sp = this.addPrincipal({
        tenantId,
        servicePrincipalType: 'Application',
        appId: randomUUID(),
        displayName: `${input.name}SP`,
        visibleAfterMs
      })
      cluster = { ...base, servicePrincipal: { appId: sp.appId!, objectId: sp.objectId }, pullPrincipalId: sp.objectId }
    }
    const full = cluster as Cluster
    Object.defineProperty(full, 'kube', { value: new KubeCluster(this, full), enumerable: false })
    this.clusters.push(full)
    return full
  }

  /** A user-assigned managed identity, which can sign in through a machine's metadata service or with federated credentials. */
  addManagedIdentity(input: AddManagedIdentityInput): ManagedIdentity {
    this.addResourceGroup(input.subscriptionId, input.resourceGroup)
    const tenantId = this.subscription(input.subscriptionId)!.tenantId
    const identity: ManagedIdentity = {
      name: input.name,
      tenantId,
      resourceId: `/subscriptions/${input.subscriptionId}/resourcegroups/${input.resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${input.name}`,
      clientId: randomUUID(),
      objectId: randomUUID()
    }
    this.apps.push({
      tenantId,
      clientId: identity.clientId,
      objectId: identity.objectId,
      displayName: input.name,
      federatedCredentials: (input.federatedCredentials ?? []).map((f) => ({ ...f, audiences: [...f.audiences] })),
      graphRead: false,
      managedIdentityResourceId: identity.resourceId
    })
    this.addPrincipal({
      objectId: identity.objectId,
      tenantId,
      servicePrincipalType: 'ManagedIdentity',
      appId: identity.clientId,
      displayName: input.name
    })
    this.managedIdentities.push(identity)
    return identity
  }

  /** Puts the runner on an Azure VM (or scale set) with these identities; its metadata service answers from then on. */
  setRunnerMachine(input: SetRunnerMachineInput): RunnerMachine {
    this.addResourceGroup(input.subscriptionId, input.resourceGroup)
    const tenantId = this.subscription(input.subscriptionId)!.tenantId
    const type = input.kind === 'vmss' ? 'virtualMachineScaleSets' : 'virtualMachines'
    let systemAssigned: RunnerMachine['systemAssigned']
    if (input.systemAssigned) {
      const principal = this.addPrincipal({
        tenantId,
        servicePrincipalType: 'ManagedIdentity',
        appId: randomUUID(),
        displayName: input.name
      })
      systemAssigned = { clientId: principal.appId!, objectId: principal.objectId }
    }
    this.runnerMachine = {
      resourceId: `/subscriptions/${input.subscriptionId}/resourceGroups/${input.resourceGroup}/providers/Microsoft.Compute/${type}/${input.name}`,
      tenantId,
      systemAssigned,
      userAssigned: [...(input.userAssigned ?? [])],
      tokenLifetimeSeconds: 86_400
    }
    return this.runnerMachine
  }

  /** The cluster whose API server answers at `host` (its fqdn, or its private fqdn). */
  clusterByFqdn(host: string) {
    return this.clusters.find((c) => lc(c.fqdn) === lc(host))
  }

  addRegistry(input: AddRegistryInput): Registry {
    const location = input.location ?? this.resourceGroup(input.subscriptionId, input.resourceGroup)?.location ?? 'eastus'
    this.addResourceGroup(input.subscriptionId, input.resourceGroup, location)
    const r: Registry = {
      id: `/subscriptions/${input.subscriptionId}/resourceGroups/${input.resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${input.name}`,
      subscriptionId: input.subscriptionId,
      resourceGroup: input.resourceGroup,
      name: input.name,
      location,
      loginServer: input.loginServer ?? `${input.name.toLowerCase()}.azurecr.io`,
      sku: input.sku ?? 'Standard',
      roleAssignmentMode: input.roleAssignmentMode ?? 'LegacyRegistryPermissions',
      publicNetworkAccess: input.publicNetworkAccess ?? 'Enabled',
      adminUserEnabled: false,
      anonymousPullEnabled: false,
      creationDate: new Date().toISOString()
    }
    this.registries.push(r)
    return r
  }

  addCustomRole(input: AddCustomRoleInput): RoleDefinition {
    const def: RoleDefinition = {
      guid: input.guid ?? randomUUID(),
      roleName: input.name,
      description: '',
      roleType: 'CustomRole',
      permissions: [{ actions: input.actions, notActions: [], dataActions: input.dataActions ?? [], notDataActions: [] }],
      assignableScopes: [`/subscriptions/${input.subscriptionId}`],
      subscriptionId: input.subscriptionId
    }
    this.customRoles.push(def)
    return def
  }

  addRoleAssignment(input: AddRoleAssignmentInput): RoleAssignment {
    const scope = normalizeScope(input.scope)
    const def = this.findRole(input.role, subscriptionOf(scope))
    if (!def) throw new Error(`twin: unknown role ${input.role}`)
    const now = input.createdOn ?? new Date().toISOString()
    const ra: RoleAssignment = {
      name: input.name ?? randomUUID(),
      scope,
      roleDefinitionGuid: def.guid,
      principalId: input.principalId,
      principalType: input.principalType ?? this.principal(input.principalId)?.principalType ?? 'ServicePrincipal',
      condition: input.condition ?? null,
      conditionVersion: input.conditionVersion ?? (input.condition ? '2.0' : null),
      description: null,
      createdOn: now,
      updatedOn: now,
      createdBy: input.createdBy ?? null,
      updatedBy: input.createdBy ?? null
    }
    this.assignments.push(ra)
    return ra
  }

  roleAssignments(filter: RoleAssignmentFilter = {}): RoleAssignment[] {
    const roleGuid = filter.role ? this.findRole(filter.role, filter.scope ? subscriptionOf(filter.scope) : undefined)?.guid : undefined
    return this.assignments.filter(
      (a) =>
        (!filter.scope || scopeKey(a.scope) === scopeKey(filter.scope)) &&
        (!filter.principalId || lc(a.principalId) === lc(filter.principalId)) &&
        (!filter.role || a.roleDefinitionGuid === roleGuid)
    )
  }

  removeRoleAssignment(name: string): RoleAssignment | undefined {
    const i = this.assignments.findIndex((a) => lc(a.name) === lc(name))
    return i < 0 ? undefined : this.assignments.splice(i, 1)[0]
  }

  // ---- registry contents ----

  /** The content store of a host (created empty on first use). */
  contentOf(host: string): RegistryContent {
    const key = canonicalHost(host)
    let c = this.registryContent.get(key)
    if (!c) this.registryContent.set(key, (c = emptyContent()))
    return c
  }

  /** Pushes an image into an ACR: `addImage(registry, 'app:1.0')`. Returns the tagged manifest. */
  addImage(registry: Registry | string, repoTag: string, options: AddImageOptions = {}): Manifest {
    const loginServer = (typeof registry === 'string' ? registry : registry.loginServer).toLowerCase()
    const ref = parseRepoRef(repoTag)
    if (!ref || ref.digest) throw new Error(`twin: addImage wants 'repo:tag', got '${repoTag}'`)
    const tag = ref.tag ?? 'latest'
    let manifests: Manifest[]
    if (options.from) {
      const src = parseImageRef(options.from)
      const top = resolve(this.contentOf(src.host), src.repository, src.digest ?? src.tag!)
      if (!top) throw new Error(`twin: no upstream image ${options.from}`)
      manifests = closure(this.contentOf(src.host), top.digest)
    } else {
      manifests = this.makeManifests(options.seed ?? `${loginServer}/${ref.repository}:${tag}`, options)
    }
    return putImage(this.contentOf(loginServer), ref.repository, tag, manifests)
  }

  /** Adds an image to an upstream registry; with `username`/`password` its repository needs them. */
  addUpstreamImage(ref: string, options: AddUpstreamImageOptions = {}): Manifest {
    const r = parseImageRef(ref)
    if (options.username !== undefined || options.password !== undefined) {
      this.upstreamCredentials.set(`${r.host}/${r.repository}`, { username: options.username ?? '', password: options.password ?? '' })
    }
    return putImage(this.contentOf(r.host), r.repository, r.tag, this.makeManifests(`${r.host}/${r.repository}:${r.tag ?? ''}`, options))
  }

  private makeManifests(
    seed: string,
    o: { shape?: ImageShape; manifest?: string | Record<string, unknown>; mediaType?: string; digest?: string }
  ): Manifest[] {
    const made =
      o.manifest !== undefined
        ? [manifestFromBytes(Buffer.from(typeof o.manifest === 'string' ? o.manifest : JSON.stringify(o.manifest)), o.mediaType)]
        : buildImage(seed, o.shape)
    if (o.digest) made[0] = { ...made[0], digest: o.digest }
    return made
  }

  /** Every tag of a registry (ACR login server or upstream host), sorted. */
  imagesOf(host: string): ImageListing[] {
    const c = this.contentOf(host)
    const out: ImageListing[] = []
    for (const repo of c.repositories.values()) {
      for (const [tag, t] of repo.tags)
        out.push({ repository: repo.name, tag, digest: t.digest, mediaType: c.manifests.get(t.digest)?.mediaType ?? '' })
    }
    return out.sort((a, b) => a.repository.localeCompare(b.repository) || a.tag.localeCompare(b.tag))
  }

  tagDigest(host: string, repository: string, tag: string): string | undefined {
    return this.contentOf(host).repositories.get(repository)?.tags.get(tag)?.digest
  }

  // ---- look-ups (case-insensitive, as ARM and Entra are) ----

  tenant(id: string) {
    return this.tenants.find((t) => lc(t.id) === lc(id))
  }
  subscription(id: string) {
    return this.subscriptions.find((s) => lc(s.id) === lc(id))
  }
  resourceGroup(sub: string, name: string) {
    return this.resourceGroups.find((r) => lc(r.subscriptionId) === lc(sub) && lc(r.name) === lc(name))
  }
  principal(objectId: string) {
    return this.principals.find((p) => lc(p.objectId) === lc(objectId))
  }
  principalByAppId(appId: string) {
    return this.principals.find((p) => p.appId && lc(p.appId) === lc(appId))
  }
  isVisible(p: Principal, now = Date.now()) {
    return p.visibleAfter === undefined || now >= p.visibleAfter
  }
  app(tenantId: string, clientId: string) {
    return this.apps.find((a) => lc(a.tenantId) === lc(tenantId) && lc(a.clientId) === lc(clientId))
  }
  cluster(sub: string, rg: string, name: string) {
    return this.clusters.find((c) => lc(c.subscriptionId) === lc(sub) && lc(c.resourceGroup) === lc(rg) && lc(c.name) === lc(name))
  }
  registry(sub: string, rg: string, name: string) {
    return this.registries.find((r) => lc(r.subscriptionId) === lc(sub) && lc(r.resourceGroup) === lc(rg) && lc(r.name) === lc(name))
  }
  registryByLoginServer(host: string) {
    return this.registries.find((r) => lc(r.loginServer) === lc(host))
  }

  /** By GUID, role definition id, or role name (built-in first, then the subscription's custom roles). */
  findRole(role: string, subscriptionId?: string): RoleDefinition | undefined {
    const guid = GUID_RE.exec(role)?.[0]
    const custom = this.customRoles.filter((r) => !subscriptionId || !r.subscriptionId || lc(r.subscriptionId) === lc(subscriptionId))
    const all = [...BUILT_IN_ROLES, ...custom]
    if (guid && (role.length === guid.length || /roleDefinitions\//i.test(role))) {
      return all.find((r) => lc(r.guid) === lc(guid))
    }
    return all.find((r) => lc(r.roleName) === lc(role))
  }

  /** Has the assignment reached the data planes (registry tokens, kubelet pulls) yet? */
  inEffect(a: RoleAssignment, now = Date.now()): boolean {
    return this.rbacPropagationMs <= 0 || now - Date.parse(a.createdOn) >= this.rbacPropagationMs
  }

  /** Does `principalId` hold `action` at `scope`, through any assignment at or above it? */
  can(principalId: string, action: string, scope: string, data = false): boolean {
    return this.assignments.some((a) => {
      if (lc(a.principalId) !== lc(principalId) || !covers(a.scope, scope)) return false
      const def = this.findRole(a.roleDefinitionGuid)
      return !!def && grants(def, action, data)
    })
  }

  /** Any assignment for the principal inside (or above) the scope: used to filter list answers. */
  hasAnyAssignmentWithin(principalId: string, scope: string): boolean {
    return this.assignments.some((a) => lc(a.principalId) === lc(principalId) && (covers(a.scope, scope) || covers(scope, a.scope)))
  }
}
