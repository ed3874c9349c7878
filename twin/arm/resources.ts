/**
 * Generic resource listing (Microsoft.Resources, api-version 2021-04-01, what the Azure CLI
 * sends): `GET /subscriptions/{s}/resources` and `…/resourceGroups/{rg}/resources`, with the
 * `$filter` clauses the CLI writes (`resourceType eq '…'`, `name eq '…'`, `resourceGroup eq '…'`,
 * joined by `and`). `az acr show -n`, `az acr import` without `-g` and `az aks update
 * --attach-acr <name>` find a registry by name this way, in the current subscription only.
 */
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Cluster, Registry, TwinState } from '../state.ts'
import { isResponse, page, subscriptionCaller } from './context.ts'
import type { ArmDeps } from './context.ts'
import { armError, authorizationFailed, resourceGroupNotFound } from './errors.ts'

const READ_RESOURCES = 'Microsoft.Resources/subscriptions/resources/read'
const REGISTRIES = 'Microsoft.ContainerRegistry/registries'
const CLUSTERS = 'Microsoft.ContainerService/managedClusters'

interface Listed {
  id: string
  name: string
  type: string
  resourceGroup: string
  location: string
  body: Record<string, unknown>
}

/** GenericResourceExpanded: identity, sku and location as the resource has them, no properties. */
function registryItem(r: Registry): Listed {
  return {
    id: r.id,
    name: r.name,
    type: REGISTRIES,
    resourceGroup: r.resourceGroup,
    location: r.location,
    body: { id: r.id, name: r.name, type: REGISTRIES, sku: { name: r.sku, tier: r.sku }, location: r.location, tags: {} }
  }
}

function clusterItem(c: Cluster, state: TwinState): Listed {
  const tenantId = state.subscription(c.subscriptionId)?.tenantId
  const identity =
    c.identity === 'managedIdentity' ? { identity: { principalId: c.systemPrincipalId, tenantId, type: 'SystemAssigned' } } : {}
  return {
    id: c.id,
    name: c.name,
    type: CLUSTERS,
    resourceGroup: c.resourceGroup,
    location: c.location,
    body: { id: c.id, name: c.name, type: CLUSTERS, sku: { name: 'Base', tier: 'Free' }, location: c.location, tags: {}, ...identity }
  }
}

type Clause = { field: 'resourcetype' | 'name' | 'resourcegroup' | 'location'; value: string }

/** The equality clauses ARM documents for this list; anything else is ARM's 400, not a silent full list. */
export function parseResourceFilter(filter: string | undefined): Clause[] | undefined {
  if (!filter || !filter.trim()) return []
  const clauses: Clause[] = []
  for (const part of filter.trim().split(/\s+and\s+/i)) {
    const m = /^(resourceType|name|resourceGroup|location)\s+eq\s+'([^']*)'$/i.exec(part.trim())
    if (!m) return undefined
    clauses.push({ field: m[1]!.toLowerCase() as Clause['field'], value: m[2]! })
  }
  return clauses
}

const matches = (item: Listed, clauses: Clause[]) =>
  clauses.every((c) => {
    const actual =
      c.field === 'resourcetype'
        ? item.type
        : c.field === 'name'
          ? item.name
          : c.field === 'resourcegroup'
            ? item.resourceGroup
            : item.location
    return actual.toLowerCase() === c.value.toLowerCase()
  })

export function registerResources(router: Router, deps: ArmDeps) {
  const { state } = deps
  const list = (req: TwinRequest, sub: string, rg: string | undefined): TwinResponse => {
    const caller = subscriptionCaller(deps, req, sub)
    if (isResponse(caller)) return caller
    if (rg && !state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
    const filter = req.query.$filter
    const clauses = parseResourceFilter(filter)
    if (!clauses) return armError(400, 'InvalidFilterInQueryString', `Invalid $filter '${filter}' specified in the query string.`)
    const scope = rg ? `/subscriptions/${sub}/resourceGroups/${rg}` : `/subscriptions/${sub}`
    const inScope = (x: { subscriptionId: string; resourceGroup: string }) =>
      x.subscriptionId.toLowerCase() === sub.toLowerCase() && (!rg || x.resourceGroup.toLowerCase() === rg.toLowerCase())
    const items = [
      ...state.registries.filter(inScope).map(registryItem),
      ...state.clusters.filter(inScope).map((c) => clusterItem(c, state))
    ]
    // ARM lists what the caller may read; with no role anywhere in scope it refuses the list itself.
    const visible = items.filter((i) => state.can(caller.oid, `${i.type}/read`, i.id))
    if (!state.can(caller.oid, READ_RESOURCES, scope) && !state.hasAnyAssignmentWithin(caller.oid, scope)) {
      return authorizationFailed(caller.appid, caller.oid, READ_RESOURCES, scope)
    }
    const hits = visible.filter((i) => matches(i, clauses)).sort((a, b) => a.id.localeCompare(b.id))
    return {
      status: 200,
      body: page(
        req,
        hits.map((i) => i.body),
        state.pageSize
      )
    }
  }

  router.on('GET', /^\/subscriptions\/([^/]+)\/resources$/i, (req, m) => list(req, m[1]!, undefined))
  router.on('GET', /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/resources$/i, (req, m) => list(req, m[1]!, m[2]!))
}
