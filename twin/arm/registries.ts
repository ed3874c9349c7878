import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Registry, TwinState } from '../state.ts'
import { provisioningStateOf } from './registry-provisioning.ts'
import { authorize, isResponse, page, subscriptionCaller } from './context.ts'
import type { ArmDeps, Caller } from './context.ts'
import { authorizationFailed, resourceGroupNotFound, resourceNotFound } from './errors.ts'

const READ = 'Microsoft.ContainerRegistry/registries/read'

/** ACR first returned the permissions mode in 2025-11-01; older api-versions simply omit it. */
const hasRoleAssignmentMode = (apiVersion: string) => apiVersion.slice(0, 10) >= '2025-11-01'

/** Shape of RegistryGet.json (RegistryCreate.json while a new registry is being created). */
export function registryJson(r: Registry, apiVersion: string, state?: TwinState): Record<string, unknown> {
  return {
    id: r.id,
    name: r.name,
    type: 'Microsoft.ContainerRegistry/registries',
    location: r.location,
    tags: {},
    sku: { name: r.sku, tier: r.sku },
    properties: {
      loginServer: r.loginServer,
      creationDate: r.creationDate,
      provisioningState: state ? provisioningStateOf(state, r) : 'Succeeded',
      adminUserEnabled: r.adminUserEnabled,
      networkRuleSet: { defaultAction: 'Allow', ipRules: [] },
      policies: {
        quarantinePolicy: { status: 'disabled' },
        trustPolicy: { type: 'Notary', status: 'disabled' },
        retentionPolicy: { days: 7, lastUpdatedTime: r.creationDate, status: 'disabled' },
        exportPolicy: { status: 'enabled' },
        azureADAuthenticationAsArmPolicy: { status: 'enabled' }
      },
      encryption: { status: 'disabled' },
      status: null,
      dataEndpointEnabled: false,
      dataEndpointHostNames: [],
      privateEndpointConnections: [],
      publicNetworkAccess: r.publicNetworkAccess,
      networkRuleBypassOptions: 'AzureServices',
      zoneRedundancy: 'Disabled',
      anonymousPullEnabled: r.anonymousPullEnabled,
      ...(hasRoleAssignmentMode(apiVersion) ? { roleAssignmentMode: r.roleAssignmentMode } : {})
    }
  }
}

/** ARM lists only what the caller may read; with nothing readable anywhere in scope it refuses outright. */
function listAnswer(req: TwinRequest, deps: ArmDeps, caller: Caller, scope: string, items: Registry[]): TwinResponse {
  const { state } = deps
  const visible = items.filter((r) => state.can(caller.oid, READ, r.id))
  if (!state.can(caller.oid, READ, scope) && visible.length === 0 && !state.hasAnyAssignmentWithin(caller.oid, scope)) {
    return authorizationFailed(caller.appid, caller.oid, READ, scope)
  }
  const apiVersion = req.query['api-version']
  return {
    status: 200,
    body: page(
      req,
      visible.map((r) => registryJson(r, apiVersion, state)),
      state.pageSize
    )
  }
}

export function registerRegistries(router: Router, deps: ArmDeps) {
  const { state } = deps
  const gate = (req: TwinRequest, sub: string): Caller | TwinResponse => subscriptionCaller(deps, req, sub)

  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)$/i,
    (req, m) => {
      const [, sub, rg, name] = m
      const caller = gate(req, sub)
      if (isResponse(caller)) return caller
      const denied = authorize(deps, caller, READ, req.path)
      if (denied) return denied
      if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
      const r = state.registry(sub, rg, name)
      if (!r) return resourceNotFound('Microsoft.ContainerRegistry/registries', name, rg)
      return { status: 200, body: registryJson(r, req.query['api-version'], state) }
    }
  )

  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries$/i,
    (req, m) => {
      const [, sub, rg] = m
      const caller = gate(req, sub)
      if (isResponse(caller)) return caller
      if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
      const items = state.registries.filter(
        (r) => r.subscriptionId.toLowerCase() === sub.toLowerCase() && r.resourceGroup.toLowerCase() === rg.toLowerCase()
      )
      return listAnswer(req, deps, caller, `/subscriptions/${sub}/resourceGroups/${rg}`, items)
    }
  )

  router.on('GET', /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries$/i, (req, m) => {
    const [, sub] = m
    const caller = gate(req, sub)
    if (isResponse(caller)) return caller
    const items = state.registries.filter((r) => r.subscriptionId.toLowerCase() === sub.toLowerCase())
    return listAnswer(req, deps, caller, `/subscriptions/${sub}`, items)
  })
}
