import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, addCaller, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO
const REGISTRIES = 'Microsoft.ContainerRegistry/registries'

/** How the Azure CLI finds a registry by name: every registry of the subscription, then match by name. */
describe('GET /subscriptions/{s}/resources?$filter=resourceType eq …', () => {
  let h: Harness
  let token: string
  beforeAll(async () => {
    h = await startSeeded({ pageSize: 2 })
    token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
  })
  afterAll(async () => {
    await h.close()
  })

  const list = async (path: string, t = token) => {
    const items: Record<string, any>[] = []
    let next: string | undefined = `${path}${path.includes('?') ? '&' : '?'}api-version=2021-04-01`
    while (next) {
      const page: Awaited<ReturnType<typeof armFetch>> = await armFetch(h.twin, next.replace(h.twin.url, ''), { token: t })
      if (page.status !== 200) return { status: page.status, body: page.body, items }
      items.push(...page.body.value)
      next = page.body.nextLink
    }
    return { status: 200, body: undefined, items }
  }

  it('lists the registries of the subscription in GenericResourceExpanded shape, paged', async () => {
    h.twin.addRegistry({ subscriptionId: S.SUB, resourceGroup: 'other-rg', name: 'secondacr', location: 'westeurope' })
    h.twin.addRegistry({ subscriptionId: S.SUB, resourceGroup: 'third-rg', name: 'thirdacr' })
    h.twin.addRegistry({ subscriptionId: S.OTHER_SUB, resourceGroup: 'shared', name: 'elsewhere' })
    const out = await list(`/subscriptions/${S.SUB}/resources?$filter=${encodeURIComponent(`resourceType eq '${REGISTRIES}'`)}`)
    expect(out.status).toBe(200)
    expect(out.items.map((r) => r.name).sort()).toEqual(['myacr', 'secondacr', 'thirdacr'])
    expect(out.items.find((r) => r.name === 'myacr')).toEqual({
      id: h.scenario.registry.id,
      name: 'myacr',
      type: REGISTRIES,
      sku: { name: 'Standard', tier: 'Standard' },
      location: S.LOCATION,
      tags: {}
    })
    expect(h.twin.requests.filter((r) => r.path === `/subscriptions/${S.SUB}/resources`).length).toBe(2)
  })

  it('filters by type, name and resource group; clusters carry their identity', async () => {
    const clusters = await list(
      `/subscriptions/${S.SUB}/resources?$filter=${encodeURIComponent("resourceType eq 'Microsoft.ContainerService/managedClusters' and name eq 'MYAKSCLUSTER'")}`
    )
    expect(clusters.items).toHaveLength(1)
    expect(clusters.items[0]).toMatchObject({
      id: h.scenario.cluster.id,
      identity: { type: 'SystemAssigned', principalId: h.scenario.cluster.systemPrincipalId }
    })
    const inGroup = await list(`/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/resources`)
    expect(inGroup.items.map((r) => r.type).sort()).toEqual([
      'Microsoft.ContainerRegistry/registries',
      'Microsoft.ContainerService/managedClusters'
    ])
  })

  it("answers ARM's 400 for a filter it does not read, and lists only what the caller may read", async () => {
    const bad = await list(`/subscriptions/${S.SUB}/resources?$filter=${encodeURIComponent("substringof('acr', name)")}`)
    expect(bad.status).toBe(400)
    expect(bad.body.error).toEqual({
      code: 'InvalidFilterInQueryString',
      message: "Invalid $filter 'substringof('acr', name)' specified in the query string."
    })

    const app = addCaller(h.twin, '99999999-0000-4000-8000-000000000071', 'repo:octo-org/octo-app:ref:refs/heads/rg-reader')
    h.twin.addRoleAssignment({ scope: `/subscriptions/${S.SUB}/resourceGroups/other-rg`, role: 'Reader', principalId: app.objectId })
    const limited = (await credential(h.twin, { clientId: app.clientId, claims: { ref: 'refs/heads/rg-reader' } }).getToken(S.ARM_SCOPE))!
      .token
    const seen = await list(`/subscriptions/${S.SUB}/resources?$filter=${encodeURIComponent(`resourceType eq '${REGISTRIES}'`)}`, limited)
    expect(seen.items.map((r) => r.name)).toEqual(['secondacr'])
    const nothing = await list(`/subscriptions/${S.OTHER_SUB}/resources`, limited)
    expect(nothing.status).toBe(403)
    expect(nothing.body.error.code).toBe('AuthorizationFailed')
  })
})
