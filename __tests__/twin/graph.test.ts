import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, addCaller, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO

describe('Microsoft Graph twin: service principal by appId', () => {
  let h: Harness
  let spAppId: string
  let spObjectId: string
  beforeAll(async () => {
    h = await startSeeded()
    const c = h.twin.addCluster({ subscriptionId: S.SUB, resourceGroup: S.RESOURCE_GROUP, name: 'spCluster', identity: 'servicePrincipal' })
    spAppId = c.servicePrincipal!.appId
    spObjectId = c.servicePrincipal!.objectId
  })
  afterAll(async () => {
    await h.close()
  })

  const path = (appId: string) => `/v1.0/servicePrincipals(appId='${appId}')?$select=id,appId,displayName`

  it('403 Authorization_RequestDenied without Application.Read.All', async () => {
    const t = await credential(h.twin).getToken(S.GRAPH_SCOPE)
    const res = await armFetch(h.twin, path(spAppId), { token: t!.token })
    expect(res.status).toBe(403)
    expect(res.body.error).toMatchObject({
      code: 'Authorization_RequestDenied',
      message: 'Insufficient privileges to complete the operation.'
    })
    expect(Object.keys(res.body.error.innerError).sort()).toEqual(['client-request-id', 'date', 'request-id'])
  })

  it('resolves the service principal for an app with graphRead, and 404s unknown ones', async () => {
    const reader = addCaller(h.twin, '99999999-0000-4000-8000-0000000000c1', 'repo:octo-org/octo-app:ref:refs/heads/graph', true)
    const t = await credential(h.twin, { clientId: reader.clientId, claims: { ref: 'refs/heads/graph' } }).getToken(S.GRAPH_SCOPE)
    const res = await armFetch(h.twin, path(spAppId), { token: t!.token })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({
      '@odata.context': `${h.twin.url}/v1.0/$metadata#servicePrincipals(id,appId,displayName)/$entity`,
      id: spObjectId,
      appId: spAppId,
      displayName: 'spClusterSP'
    })
    expect(h.twin.requests.at(-1)!.tokenOid).toBe(reader.objectId)
    const missing = await armFetch(h.twin, path('00000000-0000-0000-0000-000000000000'), { token: t!.token })
    expect(missing.status).toBe(404)
    expect(missing.body.error.code).toBe('Request_ResourceNotFound')
  })

  it('rejects ARM tokens and missing tokens with 401', async () => {
    const arm = await credential(h.twin).getToken(S.ARM_SCOPE)
    expect((await armFetch(h.twin, path(spAppId), { token: arm!.token })).body.error.code).toBe('InvalidAuthenticationToken')
    expect((await armFetch(h.twin, path(spAppId))).status).toBe(401)
  })
})
