import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createContainerService } from '@azure/arm-containerservice/api'
import { get as getCluster } from '@azure/arm-containerservice/api/managedClusters'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { get as getRegistry, list as listRegistries, listByResourceGroup } from '@azure/arm-containerregistry/api/registries'
import { startSeeded, credential, addCaller, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO
const scopes = [S.ARM_SCOPE]

describe('ARM reads with the real modular clients', () => {
  let h: Harness
  let aks: ReturnType<typeof createContainerService>
  let acr: ReturnType<typeof createContainerRegistryManagement>
  beforeAll(async () => {
    h = await startSeeded({ pageSize: 2 })
    const cred = credential(h.twin)
    aks = createContainerService(cred, S.SUB, { endpoint: h.twin.url, credentials: { scopes }, apiVersion: '2025-10-01' })
    acr = createContainerRegistryManagement(cred, S.SUB, { endpoint: h.twin.url, credentials: { scopes }, apiVersion: '2025-11-01' })
  })
  afterAll(async () => {
    await h.close()
  })

  it('parses a managed-identity cluster with its kubelet identity', async () => {
    const mc = await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER)
    const kubelet = h.scenario.cluster.kubelet!
    expect(mc.name).toBe(S.CLUSTER)
    expect(mc.identity?.type).toBe('SystemAssigned')
    expect(mc.servicePrincipalProfile?.clientId).toBe('msi')
    expect(mc.identityProfile?.kubeletidentity).toEqual(kubelet)
    expect(kubelet.resourceId).toMatch(
      new RegExp(
        `/resourcegroups/MC_${S.RESOURCE_GROUP}_${S.CLUSTER}_${S.LOCATION}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${S.CLUSTER}-agentpool$`
      )
    )
    expect(mc.nodeResourceGroup).toBe(`MC_${S.RESOURCE_GROUP}_${S.CLUSTER}_${S.LOCATION}`)
    expect(h.twin.requests.at(-1)).toMatchObject({
      method: 'GET',
      status: 200,
      tokenOid: S.APP_OBJECT_ID,
      via: 'direct',
      query: { 'api-version': '2025-10-01' }
    })
  })

  it('parses a service-principal cluster: clientId is the app id, no identityProfile', async () => {
    const c = h.twin.addCluster({ subscriptionId: S.SUB, resourceGroup: S.RESOURCE_GROUP, name: 'spCluster', identity: 'servicePrincipal' })
    const mc = await getCluster(aks, S.RESOURCE_GROUP, 'spcluster')
    expect(mc.servicePrincipalProfile?.clientId).toBe(c.servicePrincipal!.appId)
    expect(mc.identityProfile).toBeUndefined()
    expect(mc.identity).toBeUndefined()
  })

  it('404s the way ARM does', async () => {
    const e1 = await getCluster(aks, S.RESOURCE_GROUP, 'nope').catch((e) => e)
    expect(e1.statusCode).toBe(404)
    expect(e1.code).toBe('ResourceNotFound')
    expect(e1.message).toBe(
      `The Resource 'Microsoft.ContainerService/managedClusters/nope' under resource group '${S.RESOURCE_GROUP}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`
    )
    const e2 = await getCluster(aks, 'noRg', 'x').catch((e) => e)
    expect(e2.code).toBe('ResourceGroupNotFound')
    const other = createContainerService(credential(h.twin), '00000000-0000-0000-0000-00000000dead', {
      endpoint: h.twin.url,
      credentials: { scopes },
      apiVersion: '2025-10-01'
    })
    const e3 = await getCluster(other, 'rg', 'x').catch((e) => e)
    expect(e3.code).toBe('SubscriptionNotFound')
  })

  it('403 AuthorizationFailed for a caller without a role', async () => {
    const app = addCaller(h.twin, '99999999-0000-4000-8000-000000000001', 'repo:octo-org/octo-app:ref:refs/heads/nobody')
    const ctx = createContainerService(credential(h.twin, { clientId: app.clientId, claims: { ref: 'refs/heads/nobody' } }), S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes },
      apiVersion: '2025-10-01'
    })
    const err = await getCluster(ctx, S.RESOURCE_GROUP, S.CLUSTER).catch((e) => e)
    expect(err.statusCode).toBe(403)
    expect(err.code).toBe('AuthorizationFailed')
    expect(err.message).toBe(
      `The client '${app.clientId}' with object id '${app.objectId}' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/read' over scope '/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
    )
  })

  it('401s without a token, with a bad one, or with a Graph token', async () => {
    const path = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}?api-version=2025-10-01`
    const none = await armFetch(h.twin, path)
    expect(none.status).toBe(401)
    expect(none.body.error.code).toBe('AuthenticationFailed')
    const bad = await armFetch(h.twin, path, { token: 'abc.def.ghi' })
    expect(bad.body.error.code).toBe('InvalidAuthenticationToken')
    const graph = await credential(h.twin).getToken(S.GRAPH_SCOPE)
    const wrong = await armFetch(h.twin, path, { token: graph!.token })
    expect(wrong.status).toBe(401)
    expect(wrong.body.error.message).toContain("wrong audience or resource 'https://graph.microsoft.com'")
  })

  it('accepts every ARM audience spelling', async () => {
    const path = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}?api-version=2025-10-01`
    for (const scope of [
      'https://management.azure.com/.default',
      'https://management.azure.com//.default',
      'https://management.core.chinacloudapi.cn//.default',
      'https://management.core.usgovcloudapi.net//.default'
    ]) {
      const t = await credential(h.twin).getToken(scope)
      expect((await armFetch(h.twin, path, { token: t!.token })).status).toBe(200)
    }
  })

  it('reads a registry with roleAssignmentMode on 2025-11-01, and without it on older versions', async () => {
    const r = await getRegistry(acr, S.RESOURCE_GROUP, S.REGISTRY)
    expect(r.loginServer).toBe('myacr.azurecr.io')
    expect(r.roleAssignmentMode).toBe('LegacyRegistryPermissions')
    expect(r.id).toBe(h.scenario.registry.id)
    const old = createContainerRegistryManagement(credential(h.twin), S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes },
      apiVersion: '2025-04-01'
    })
    expect((await getRegistry(old, S.RESOURCE_GROUP, S.REGISTRY)).roleAssignmentMode).toBeUndefined()
  })

  it('pages registry lists through nextLink', async () => {
    for (const n of ['acrtwo', 'acrthree', 'acrfour'])
      h.twin.addRegistry({ subscriptionId: S.SUB, resourceGroup: 'other-rg', name: n, roleAssignmentMode: 'AbacRepositoryPermissions' })
    const names: string[] = []
    for await (const r of listRegistries(acr)) names.push(r.name!)
    expect(names.sort()).toEqual(['acrfour', 'acrthree', 'acrtwo', 'myacr'])
    const pages = h.twin.requests.filter(
      (r) => /providers\/Microsoft.ContainerRegistry\/registries$/i.test(r.path) && !/resourceGroups/i.test(r.path)
    )
    expect(pages.length).toBe(2)
    expect(pages[1].query.$skipToken).toBe('2')
    const inRg: string[] = []
    for await (const r of listByResourceGroup(acr, 'other-rg')) {
      inRg.push(r.name!)
      expect(r.roleAssignmentMode).toBe('AbacRepositoryPermissions')
    }
    expect(inRg.sort()).toEqual(['acrfour', 'acrthree', 'acrtwo'])
  })

  it('paths are case-insensitive as in ARM', async () => {
    const t = await credential(h.twin).getToken(S.ARM_SCOPE)
    const res = await armFetch(
      h.twin,
      `/SUBSCRIPTIONS/${S.SUB.toUpperCase()}/resourcegroups/MYRESOURCEGROUP/providers/microsoft.containerregistry/REGISTRIES/MyAcr?api-version=2025-11-01`,
      { token: t!.token }
    )
    expect(res.status).toBe(200)
    expect(res.body.name).toBe('myacr')
  })

  it('unknown routes answer an ARM error', async () => {
    const t = await credential(h.twin).getToken(S.ARM_SCOPE)
    const res = await armFetch(h.twin, `/subscriptions/${S.SUB}/providers/Microsoft.Foo/bars?api-version=1`, { token: t!.token })
    expect(res.status).toBe(404)
    expect(res.body.error.code).toBe('NoRegisteredProviderFound')
  })
})
