/**
 * Subscriptions (Microsoft.Resources, api-version 2022-12-01): `GET /subscriptions` lists the
 * subscriptions of the token's tenant in which the caller holds any role assignment (at the
 * subscription, above it, or on anything inside it), as ARM does; `GET /subscriptions/{id}` reads
 * one. `az login` calls the list; the action calls it to find a registry by login server in a
 * subscription other than `subscription-id`.
 */
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Subscription } from '../state.ts'
import { armCaller, isResponse, page } from './context.ts'
import type { ArmDeps, Caller } from './context.ts'
import { missingApiVersion, subscriptionNotFound } from './errors.ts'

/** Shape of the 2022-12-01 `Subscription` model (GetSubscriptions.json). */
export function subscriptionJson(s: Subscription): Record<string, unknown> {
  return {
    id: `/subscriptions/${s.id}`,
    authorizationSource: 'RoleBased',
    managedByTenants: [],
    subscriptionId: s.id,
    tenantId: s.tenantId,
    displayName: s.displayName,
    state: 'Enabled',
    subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' }
  }
}

function visible(deps: ArmDeps, caller: Caller): Subscription[] {
  return deps.state.subscriptions.filter(
    (s) => s.tenantId.toLowerCase() === caller.tid.toLowerCase() && deps.state.hasAnyAssignmentWithin(caller.oid, `/subscriptions/${s.id}`)
  )
}

export function registerSubscriptions(router: Router, deps: ArmDeps) {
  router.on('GET', /^\/subscriptions$/i, (req: TwinRequest): TwinResponse => {
    const caller = armCaller(req, deps)
    if (isResponse(caller)) return caller
    if (!req.query['api-version']) return missingApiVersion()
    const subscriptions = visible(deps, caller)
    const listed = page(req, subscriptions.map(subscriptionJson), deps.state.pageSize)
    return { status: 200, body: { ...listed, count: { type: 'Total', value: subscriptions.length } } }
  })
  router.on('GET', /^\/subscriptions\/([^/]+)$/i, (req: TwinRequest, m): TwinResponse => {
    const caller = armCaller(req, deps)
    if (isResponse(caller)) return caller
    if (!req.query['api-version']) return missingApiVersion()
    // A subscription the caller cannot see reads as missing, not as forbidden.
    const found = visible(deps, caller).find((s) => s.id.toLowerCase() === m[1]!.toLowerCase())
    return found ? { status: 200, body: subscriptionJson(found) } : subscriptionNotFound(m[1]!)
  })
}
