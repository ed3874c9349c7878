import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createSubscription } from '@azure/arm-resources-subscriptions/api'
import { get as getSubscription, list as listSubscriptions } from '@azure/arm-resources-subscriptions/api/subscriptions'
import { startSeeded, credential, addCaller, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO
const scopes = [S.ARM_SCOPE]

describe('subscriptions, parsed by @azure/arm-resources-subscriptions', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded({ pageSize: 1 })
  })
  afterAll(async () => {
    await h.close()
  })

  const client = (cred = credential(h.twin)) => createSubscription(cred, { endpoint: h.twin.url, credentials: { scopes } })

  it('lists every subscription the caller holds a role in, across pages', async () => {
    const listed = []
    for await (const s of listSubscriptions(client())) listed.push(s)
    expect(listed.map((s) => s.subscriptionId).sort()).toEqual([S.SUB, S.OTHER_SUB].sort())
    expect(listed[0]).toMatchObject({ tenantId: S.TENANT_ID, state: 'Enabled', id: `/subscriptions/${listed[0]!.subscriptionId}` })
    expect(h.twin.requests.filter((r) => r.path === '/subscriptions').length).toBe(2)
  })

  it('leaves out subscriptions of other tenants and those the caller has no role in', async () => {
    const foreignTenant = h.twin.addTenant()
    h.twin.addSubscription('11111111-2222-4333-8444-555555555555', { tenantId: foreignTenant.id })
    const empty = h.twin.addSubscription('22222222-3333-4444-8555-666666666666', { tenantId: S.TENANT_ID })
    const app = addCaller(h.twin, '99999999-0000-4000-8000-000000000031', 'repo:octo-org/octo-app:ref:refs/heads/one-rg')
    h.twin.addRoleAssignment({ scope: `/subscriptions/${S.OTHER_SUB}/resourceGroups/shared`, role: 'Reader', principalId: app.objectId })
    const limited = client(credential(h.twin, { clientId: app.clientId, claims: { ref: 'refs/heads/one-rg' } }))
    const listed = []
    for await (const s of listSubscriptions(limited)) listed.push(s.subscriptionId)
    expect(listed).toEqual([S.OTHER_SUB])
    const hidden = await getSubscription(limited, empty.id).catch((e) => e)
    expect(hidden.statusCode).toBe(404)
    expect(hidden.code).toBe('SubscriptionNotFound')
    expect((await getSubscription(limited, S.OTHER_SUB)).displayName).toBe('Shared services')
  })
})
