import { randomUUID } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from './http.ts'
import type { Entra } from './entra.ts'
import { GRAPH_AUDIENCES } from './entra.ts'
import type { Principal, TwinState } from './state.ts'

/** Application permissions that let an app read other service principals. */
const READ_ROLES = ['Application.Read.All', 'Application.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All']

export function graphError(status: number, code: string, message: string): TwinResponse {
  const id = randomUUID()
  return {
    status,
    headers: { 'request-id': id, 'client-request-id': id },
    body: {
      error: {
        code,
        message,
        innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': id, 'client-request-id': id }
      }
    }
  }
}

function spJson(p: Principal): Record<string, unknown> {
  return {
    id: p.objectId,
    appId: p.appId,
    displayName: p.displayName,
    accountEnabled: true,
    servicePrincipalType: p.servicePrincipalType ?? 'Application',
    appOwnerOrganizationId: p.servicePrincipalType === 'ManagedIdentity' ? null : p.tenantId,
    servicePrincipalNames: [p.appId]
  }
}

function select(req: TwinRequest, entity: Record<string, unknown>, set: string): Record<string, unknown> {
  const fields = (req.query.$select ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  const chosen = fields.length ? Object.fromEntries(fields.filter((f) => f in entity).map((f) => [f, entity[f]])) : entity
  const ctx = `${req.baseUrl}/v1.0/$metadata#${set}${fields.length ? `(${fields.join(',')})` : ''}/$entity`
  return { '@odata.context': ctx, ...chosen }
}

export function registerGraph(router: Router, state: TwinState, entra: Entra) {
  /** Graph's token and permission gate; answers the caller's tenant or the refusal. */
  const gate = (req: TwinRequest): { tid: string } | TwinResponse => {
    const check = entra.checkBearer(req.headers.authorization)
    if (!check.ok) {
      if (check.reason === 'missing') return graphError(401, 'InvalidAuthenticationToken', 'Access token is empty.')
      if (check.reason === 'expired')
        return graphError(401, 'InvalidAuthenticationToken', 'Lifetime validation failed, the token is expired.')
      return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.')
    }
    if (!GRAPH_AUDIENCES.includes(String(check.claims.aud))) {
      return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.')
    }
    req.note.tokenOid = String(check.claims.oid ?? '')
    const roles = Array.isArray(check.claims.roles) ? check.claims.roles.map(String) : []
    if (!roles.some((r) => READ_ROLES.includes(r))) {
      return graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.')
    }
    return { tid: String(check.claims.tid ?? '') }
  }

  const lookup = (tid: string, pick: (p: Principal) => boolean) =>
    state.principals.find(
      (p) => p.principalType === 'ServicePrincipal' && p.tenantId.toLowerCase() === tid.toLowerCase() && state.isVisible(p) && pick(p)
    )

  router.on('GET', /^\/v1\.0\/servicePrincipals\(appId='([^']+)'\)$/i, (req, m) => {
    const g = gate(req)
    if ('status' in g) return g
    const p = lookup(g.tid, (x) => x.appId?.toLowerCase() === m[1].toLowerCase())
    if (!p)
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`
      )
    return { status: 200, body: select(req, spJson(p), 'servicePrincipals') }
  })

  router.on('GET', /^\/v1\.0\/servicePrincipals\/([0-9a-f-]{36})$/i, (req, m) => {
    const g = gate(req)
    if ('status' in g) return g
    const p = lookup(g.tid, (x) => x.objectId.toLowerCase() === m[1].toLowerCase())
    if (!p)
      return graphError(
        404,
        'Request_ResourceNotFound',
        `Resource '${m[1]}' does not exist or one of its queried reference-property objects are not present.`
      )
    return { status: 200, body: select(req, spJson(p), 'servicePrincipals') }
  })

  router.on('GET', /^\/v1\.0\/servicePrincipals$/i, (req) => {
    const g = gate(req)
    if ('status' in g) return g
    const appId = /appId\s+eq\s+'([^']+)'/i.exec(req.query.$filter ?? '')?.[1]
    const hits = state.principals.filter(
      (p) =>
        p.principalType === 'ServicePrincipal' &&
        p.tenantId.toLowerCase() === g.tid.toLowerCase() &&
        state.isVisible(p) &&
        (!appId || p.appId?.toLowerCase() === appId.toLowerCase())
    )
    const fields = (req.query.$select ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
    const value = hits.map((p) => {
      const e = spJson(p)
      return fields.length ? Object.fromEntries(fields.filter((f) => f in e).map((f) => [f, e[f]])) : e
    })
    return {
      status: 200,
      body: { '@odata.context': `${req.baseUrl}/v1.0/$metadata#servicePrincipals${fields.length ? `(${fields.join(',')})` : ''}`, value }
    }
  })
}
