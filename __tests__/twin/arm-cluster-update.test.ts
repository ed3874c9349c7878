import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createContainerService } from '@azure/arm-containerservice/api'
import { createOrUpdate, get as getCluster } from '@azure/arm-containerservice/api/managedClusters'
import { operationName } from '../../twin/arm/cluster-update.ts'
import { startSeeded, credential, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO
const scopes = [S.ARM_SCOPE]

/** What `az aks update` does after a flag: PUT the cluster it just read, then follow Azure-AsyncOperation. */
describe('managed cluster PUT as a long-running operation, judged by @azure/arm-containerservice', () => {
  let h: Harness
  let aks: ReturnType<typeof createContainerService>
  beforeAll(async () => {
    h = await startSeeded()
    h.twin.state.clusterOperationMs = 600
    aks = createContainerService(credential(h.twin), S.SUB, { endpoint: h.twin.url, credentials: { scopes }, apiVersion: '2025-10-01' })
  })
  afterAll(async () => {
    await h.close()
  })

  it('answers Updating with an Azure-AsyncOperation link, polls InProgress then Succeeded, and the SDK ends with the cluster', async () => {
    const before = await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER)
    const since = h.twin.requests.length
    const started = Date.now()
    const done = await createOrUpdate(aks, S.RESOURCE_GROUP, S.CLUSTER, before, { updateIntervalInMs: 100 })
    expect(Date.now() - started).toBeGreaterThanOrEqual(550)
    expect(done.provisioningState).toBe('Succeeded')
    expect(done.identityProfile?.kubeletidentity).toEqual(h.scenario.cluster.kubelet)
    const seen = h.twin.requests.slice(since).map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}$/, '{id}')} ${r.status}`)
    expect(seen[0]).toBe(
      `PUT /subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER} 200`
    )
    expect(
      seen.filter(
        (r) => r === `GET /subscriptions/${S.SUB}/providers/Microsoft.ContainerService/locations/${S.LOCATION}/operations/{id} 200`
      ).length
    ).toBeGreaterThanOrEqual(2)
    expect(seen.at(-1)).toBe(
      `GET /subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER} 200`
    )
  })

  it('shows Updating while it runs, refuses a second PUT with OperationNotAllowed, and names the operation as AKS does', async () => {
    const token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
    const path = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}?api-version=2022-11-01`
    const current = await armFetch(h.twin, path, { token })
    const put = () =>
      armFetch(h.twin, path, { token, method: 'PUT', body: JSON.stringify(current.body), headers: { 'content-type': 'application/json' } })
    const first = await put()
    expect(first.status).toBe(200)
    expect(first.body.properties.provisioningState).toBe('Updating')
    expect(first.body.properties.agentPoolProfiles[0].provisioningState).toBe('Updating')
    expect(first.headers.get('retry-after')).toBeNull()
    const link = new URL(first.headers.get('azure-asyncoperation')!)
    expect(link.pathname).toMatch(
      new RegExp(`^/subscriptions/${S.SUB}/providers/Microsoft.ContainerService/locations/${S.LOCATION}/operations/[0-9a-f-]{36}$`)
    )
    expect(link.searchParams.get('api-version')).toBe('2016-03-30')
    const id = link.pathname.split('/').at(-1)!

    expect((await armFetch(h.twin, path, { token })).body.properties.provisioningState).toBe('Updating')
    const second = await put()
    expect(second.status).toBe(409)
    expect(second.body.error.code).toBe('OperationNotAllowed')
    expect(second.body.error.message).toContain(`in progress update managed cluster operation (operation ID: ${id})`)

    const running = await armFetch(h.twin, `${link.pathname}${link.search}`, { token })
    expect(running.body).toEqual({
      name: operationName(id),
      status: 'InProgress',
      startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/)
    })
    await new Promise((r) => setTimeout(r, 650))
    const finished = await armFetch(h.twin, `${link.pathname}${link.search}`, { token })
    expect(finished.body).toMatchObject({ name: operationName(id), status: 'Succeeded', endTime: expect.any(String) })
    expect((await armFetch(h.twin, path, { token })).body.properties.provisioningState).toBe('Succeeded')
  })

  it('byte-swaps the first three groups of the id into the name, as the recordings show', () => {
    expect(operationName('c2000af4-083e-46f0-91d1-9e0de0e0b6c0')).toBe('f40a00c2-3e08-f046-91d1-9e0de0e0b6c0')
    expect(operationName('2812ffed-605e-459b-8e00-fbed0ce85146')).toBe('edff1228-5e60-9b45-8e00-fbed0ce85146')
  })

  it('refuses a move to another location and a cluster the twin does not hold', async () => {
    const token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
    const base = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters`
    const moved = await armFetch(h.twin, `${base}/${S.CLUSTER}?api-version=2022-11-01`, {
      token,
      method: 'PUT',
      body: JSON.stringify({ location: 'westus' })
    })
    expect(moved.status).toBe(409)
    expect(moved.body.error.code).toBe('InvalidResourceLocation')
    const created = await armFetch(h.twin, `${base}/brandNew?api-version=2022-11-01`, {
      token,
      method: 'PUT',
      body: JSON.stringify({ location: S.LOCATION })
    })
    expect(created.status).toBe(400)
  })
})
