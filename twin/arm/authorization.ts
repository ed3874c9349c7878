import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { PrincipalType, RoleAssignment } from '../state.ts'
import type { RoleDefinition } from '../roles.ts'
import { BUILT_IN_ROLES } from '../roles.ts'
import { covers, normalizeScope, resourceGroupOf, scopeKey, subscriptionOf } from '../scope.ts'
import { armCaller, authorize, checkSubscription, isResponse, page } from './context.ts'
import type { ArmDeps, Caller } from './context.ts'
import { armError, missingApiVersion, resourceGroupNotFound, resourceNotFound } from './errors.ts'

const PROVIDER = 'Microsoft.Authorization'
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const lc = (s: string) => s.toLowerCase()

const definitionId = (scope: string, guid: string) => {
  const sub = subscriptionOf(scope)
  return `${sub ? `/subscriptions/${sub}` : ''}/providers/${PROVIDER}/roleDefinitions/${guid}`
}

/** Shape of RoleAssignments_CreateForResource.json plus the read-only fields real ARM fills in. */
export function assignmentJson(a: RoleAssignment): Record<string, unknown> {
  return {
    properties: {
      roleDefinitionId: definitionId(a.scope, a.roleDefinitionGuid),
      principalId: a.principalId,
      principalType: a.principalType,
      scope: a.scope,
      condition: a.condition,
      conditionVersion: a.conditionVersion,
      createdOn: a.createdOn,
      updatedOn: a.updatedOn,
      createdBy: a.createdBy,
      updatedBy: a.updatedBy,
      delegatedManagedIdentityResourceId: null,
      description: a.description
    },
    id: `${a.scope === '/' ? '' : a.scope}/providers/${PROVIDER}/roleAssignments/${a.name}`,
    type: `${PROVIDER}/roleAssignments`,
    name: a.name
  }
}

export function definitionJson(d: RoleDefinition, scope: string): Record<string, unknown> {
  return {
    id: definitionId(scope, d.guid),
    name: d.guid,
    type: `${PROVIDER}/roleDefinitions`,
    properties: {
      roleName: d.roleName,
      type: d.roleType,
      description: d.description,
      assignableScopes: d.assignableScopes,
      permissions: d.permissions,
      createdOn: '2018-02-22T00:00:00.0000000Z',
      updatedOn: '2025-01-01T00:00:00.0000000Z',
      createdBy: null,
      updatedBy: null
    }
  }
}

/**
 * Role assignment list filters as ARM reads them: atScope() = at or above;
 * principalId eq / assignedTo() = at, above and below for that principal;
 * no filter = at, above and below.
 */
export function parseAssignmentFilter(filter: string | undefined): { atScope: boolean; principalId?: string } | undefined {
  const out: { atScope: boolean; principalId?: string } = { atScope: false }
  if (!filter || !filter.trim()) return out
  for (const clause of filter.split(/\s+and\s+/i)) {
    const c = clause.trim()
    let m: RegExpExecArray | null
    if (/^atScope\(\)$/i.test(c)) out.atScope = true
    else if ((m = /^principalId\s+eq\s+'?([0-9a-f-]+)'?$/i.exec(c))) out.principalId = m[1]
    else if ((m = /^assignedTo\('([^']+)'\)$/i.exec(c))) out.principalId = m[1]
    else return undefined
  }
  return out
}

export function registerAuthorization(router: Router, deps: ArmDeps) {
  const { state } = deps
  const opens = (req: TwinRequest, scope: string): Caller | TwinResponse => {
    const caller = armCaller(req, deps)
    if (isResponse(caller)) return caller
    if (!req.query['api-version']) return missingApiVersion()
    const sub = subscriptionOf(scope)
    return (sub && checkSubscription(deps, caller, sub)) || caller
  }

  /** ARM refuses assignments on resource groups or (known) resources that are not there. */
  const scopeMissing = (scope: string): TwinResponse | undefined => {
    const sub = subscriptionOf(scope)
    const rg = resourceGroupOf(scope)
    if (!sub || !rg) return undefined
    if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
    const m = /\/providers\/(Microsoft\.ContainerRegistry\/registries|Microsoft\.ContainerService\/managedClusters)\/([^/]+)$/i.exec(scope)
    if (!m) return undefined
    const found = /registries/i.test(m[1]) ? state.registry(sub, rg, m[2]) : state.cluster(sub, rg, m[2])
    return found ? undefined : resourceNotFound(m[1], m[2], rg)
  }

  const findByName = (scope: string, name: string) =>
    state.assignments.find((a) => lc(a.name) === lc(name) && scopeKey(a.scope) === scopeKey(scope))

  const put = (req: TwinRequest, scope: string, name: string, caller: Caller): TwinResponse => {
    const denied = authorize(deps, caller, `${PROVIDER}/roleAssignments/write`, scope)
    if (denied) return denied
    if (!GUID.test(name)) {
      return armError(
        400,
        'InvalidRoleAssignmentId',
        `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`
      )
    }
    let body: { properties?: Record<string, string | undefined> }
    try {
      body = JSON.parse(req.body.toString('utf8') || '{}')
    } catch {
      return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
    }
    const p = body.properties ?? {}
    const principalId = p.principalId
    if (!p.roleDefinitionId || !principalId) {
      return armError(
        400,
        'InvalidRequestContent',
        "The request content is missing required properties 'roleDefinitionId' and 'principalId'."
      )
    }
    const missing = scopeMissing(scope)
    if (missing) return missing
    const guid = /roleDefinitions\/([^/]+)$/i.exec(p.roleDefinitionId)?.[1] ?? ''
    if (!GUID.test(guid)) return armError(400, 'InvalidRoleDefinitionId', `The role definition ID '${p.roleDefinitionId}' is not valid.`)
    const def = state.findRole(guid, subscriptionOf(scope))
    if (!def) return armError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${guid}' does not exist.`)

    // Read-check-insert below is synchronous, so concurrent PUTs cannot both pass it.
    const sameName = state.assignments.find((a) => lc(a.name) === lc(name))
    if (
      sameName &&
      !(
        scopeKey(sameName.scope) === scopeKey(scope) &&
        sameName.roleDefinitionGuid === def.guid &&
        lc(sameName.principalId) === lc(principalId)
      )
    ) {
      return armError(
        400,
        'RoleAssignmentUpdateNotPermitted',
        'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.'
      )
    }
    if (sameName && state.sameNamePut === 'ok') return { status: 200, body: assignmentJson(sameName) }
    const duplicate = state.assignments.find(
      (a) => scopeKey(a.scope) === scopeKey(scope) && a.roleDefinitionGuid === def.guid && lc(a.principalId) === lc(principalId)
    )
    if (duplicate) return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.')

    const principal = state.principal(principalId)
    if (!principal || !state.isVisible(principal)) {
      const tenant = state.subscription(subscriptionOf(scope) ?? '')?.tenantId ?? caller.tid
      return armError(
        400,
        'PrincipalNotFound',
        `Principal ${principalId.replace(/-/g, '').toLowerCase()} does not exist in the directory ${tenant}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`
      )
    }
    if (p.principalType && lc(p.principalType) !== lc(principal.principalType)) {
      return armError(
        400,
        'UnmatchedPrincipalType',
        `The PrincipalId '${principalId.replace(/-/g, '').toLowerCase()}' has type '${principal.principalType}' , which is different from specified PrincipalType '${p.principalType}'.`
      )
    }
    const created = state.addRoleAssignment({
      scope,
      role: def.guid,
      principalId: principalId,
      principalType: (p.principalType as PrincipalType | undefined) ?? principal.principalType,
      condition: p.condition,
      conditionVersion: p.conditionVersion,
      name,
      createdBy: caller.oid
    })
    if (p.description) created.description = p.description
    return { status: 201, body: assignmentJson(created) }
  }

  router.on(undefined, /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments\/([^/]+)$/i, (req, m) => {
    const scope = normalizeScope(m[1] || '/')
    const name = m[2]
    const caller = opens(req, scope)
    if (isResponse(caller)) return caller
    if (req.method === 'PUT') return put(req, scope, name, caller)
    if (req.method === 'GET') {
      const denied = authorize(deps, caller, `${PROVIDER}/roleAssignments/read`, scope)
      if (denied) return denied
      const a = findByName(scope, name)
      return a
        ? { status: 200, body: assignmentJson(a) }
        : armError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`)
    }
    if (req.method === 'DELETE') {
      const denied = authorize(deps, caller, `${PROVIDER}/roleAssignments/delete`, scope)
      if (denied) return denied
      const a = findByName(scope, name)
      if (!a) return { status: 204 }
      state.removeRoleAssignment(a.name)
      return { status: 200, body: assignmentJson(a) }
    }
    return { status: 405 }
  })

  router.on('GET', /^(.*)\/providers\/Microsoft\.Authorization\/roleAssignments$/i, (req, m) => {
    const scope = normalizeScope(m[1] || '/')
    const caller = opens(req, scope)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, `${PROVIDER}/roleAssignments/read`, scope)
    if (denied) return denied
    const f = parseAssignmentFilter(req.query.$filter)
    if (!f) return armError(400, 'UnsupportedQuery', `The filter '${req.query.$filter}' is not supported.`)
    const items = state.assignments.filter((a) => {
      const above = covers(a.scope, scope)
      const below = covers(scope, a.scope)
      if (f.principalId && lc(a.principalId) !== lc(f.principalId)) return false
      return f.atScope ? above : above || below
    })
    return { status: 200, body: page(req, items.map(assignmentJson), state.pageSize) }
  })

  router.on('GET', /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i, (req, m) => {
    const scope = normalizeScope(m[1] || '/')
    const caller = opens(req, scope)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, `${PROVIDER}/roleDefinitions/read`, scope)
    if (denied) return denied
    const def = GUID.test(m[2]) ? state.findRole(m[2], subscriptionOf(scope)) : undefined
    return def
      ? { status: 200, body: definitionJson(def, scope) }
      : armError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${m[2]}' does not exist.`)
  })

  router.on('GET', /^(.*)\/providers\/Microsoft\.Authorization\/roleDefinitions$/i, (req, m) => {
    const scope = normalizeScope(m[1] || '/')
    const caller = opens(req, scope)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, `${PROVIDER}/roleDefinitions/read`, scope)
    if (denied) return denied
    const byName = /roleName\s+eq\s+'([^']*)'/i.exec(req.query.$filter ?? '')?.[1]
    const sub = subscriptionOf(scope)
    const everything = [
      ...BUILT_IN_ROLES,
      ...state.customRoles.filter((r) => !sub || !r.subscriptionId || lc(r.subscriptionId) === lc(sub))
    ]
    const hits = byName ? everything.filter((d) => lc(d.roleName) === lc(byName)) : everything
    return { status: 200, body: { value: hits.map((d) => definitionJson(d, scope)) } }
  })
}
