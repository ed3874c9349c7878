import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { AuthorizationManagementClient } from '@azure/arm-authorization'
import { startSeeded, credential, addCaller, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO
const ACR_PULL = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
const READER = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
const roleId = (guid: string) => `/subscriptions/${S.SUB}/providers/Microsoft.Authorization/roleDefinitions/${guid}`

describe('Authorization 2022-04-01 with the real AuthorizationManagementClient', () => {
  let h: Harness
  let client: AuthorizationManagementClient
  let registryId: string
  let kubelet: string
  const clientFor = (cred = credential(h.twin)) =>
    new AuthorizationManagementClient(cred, S.SUB, { endpoint: h.twin.url, credentialScopes: [S.ARM_SCOPE] })

  beforeAll(async () => {
    h = await startSeeded({ pageSize: 3 })
    client = clientFor()
    registryId = h.scenario.registry.id
    kubelet = h.scenario.kubeletObjectId
  })
  afterAll(async () => {
    await h.close()
  })

  it('creates (201, example shape), then 409 RoleAssignmentExists for the same triple under any name', async () => {
    const name = randomUUID()
    const ra = await client.roleAssignments.create(registryId, name, {
      roleDefinitionId: roleId(ACR_PULL),
      principalId: kubelet,
      principalType: 'ServicePrincipal'
    })
    expect(h.twin.requests.at(-1)!.status).toBe(201)
    expect(ra).toMatchObject({
      id: `${registryId}/providers/Microsoft.Authorization/roleAssignments/${name}`,
      name,
      type: 'Microsoft.Authorization/roleAssignments',
      scope: registryId,
      roleDefinitionId: roleId(ACR_PULL),
      principalId: kubelet,
      principalType: 'ServicePrincipal',
      createdBy: S.APP_OBJECT_ID
    })
    expect(ra.createdOn).toBeInstanceOf(Date)
    for (const again of [name, randomUUID()]) {
      const err = await client.roleAssignments
        .create(registryId, again, { roleDefinitionId: roleId(ACR_PULL), principalId: kubelet })
        .catch((e) => e)
      expect(err.statusCode).toBe(409)
      expect(err.code).toBe('RoleAssignmentExists')
      expect(err.message).toBe('The role assignment already exists.')
    }
    h.twin.state.sameNamePut = 'ok'
    const same = await client.roleAssignments.create(registryId, name, { roleDefinitionId: roleId(ACR_PULL), principalId: kubelet })
    expect(h.twin.requests.at(-1)!.status).toBe(200)
    expect(same.name).toBe(name)
    h.twin.state.sameNamePut = 'conflict'
    const other = await client.roleAssignments
      .create(registryId, name, { roleDefinitionId: roleId(READER), principalId: kubelet })
      .catch((e) => e)
    expect(other.statusCode).toBe(400)
    expect(other.code).toBe('RoleAssignmentUpdateNotPermitted')
    expect(h.twin.roleAssignments({ scope: registryId, principalId: kubelet })).toHaveLength(1)
  })

  it('lists with atScope(), principalId eq, assignedTo() and no filter, with ARM scope semantics', async () => {
    const rg = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}`
    h.twin.addRoleAssignment({ scope: rg, role: 'Reader', principalId: kubelet })
    const names = async (scope: string, filter?: string) => {
      const out: string[] = []
      for await (const a of client.roleAssignments.listForScope(scope, filter ? { filter } : {})) out.push(`${a.scope}|${a.principalId}`)
      return out.sort()
    }
    // At or above the resource group: the subscription Owner and the RG Reader, not the registry's AcrPull.
    expect(await names(rg, 'atScope()')).toEqual([`/subscriptions/${S.SUB}|${S.APP_OBJECT_ID}`, `${rg}|${kubelet}`].sort())
    // Below too, for one principal.
    expect(await names(rg, `principalId eq '${kubelet}'`)).toEqual([`${rg}|${kubelet}`, `${registryId}|${kubelet}`].sort())
    expect(await names(rg, `assignedTo('${kubelet}')`)).toEqual([`${rg}|${kubelet}`, `${registryId}|${kubelet}`].sort())
    expect(await names(registryId, `atScope() and assignedTo('${kubelet}')`)).toEqual(
      [`${rg}|${kubelet}`, `${registryId}|${kubelet}`].sort()
    )
    // No filter: at, above and below (and paged: 3 per page here).
    expect(await names(rg)).toEqual([`/subscriptions/${S.SUB}|${S.APP_OBJECT_ID}`, `${rg}|${kubelet}`, `${registryId}|${kubelet}`].sort())
    // Another subscription's assignments never show.
    expect((await names(`/subscriptions/${S.OTHER_SUB}`)).every((n) => n.startsWith(`/subscriptions/${S.OTHER_SUB}`))).toBe(true)
  })

  it('gets, deletes (200 then 204) and deletes by id', async () => {
    const [ra] = h.twin.roleAssignments({ scope: registryId, principalId: kubelet })
    const got = await client.roleAssignments.get(registryId, ra.name)
    expect(got.id).toBe(`${registryId}/providers/Microsoft.Authorization/roleAssignments/${ra.name}`)
    const deleted = await client.roleAssignments.delete(registryId, ra.name)
    expect(deleted?.name).toBe(ra.name)
    expect(h.twin.requests.at(-1)!.status).toBe(200)
    await client.roleAssignments.delete(registryId, ra.name)
    expect(h.twin.requests.at(-1)!.status).toBe(204)

    const again = await client.roleAssignments.create(registryId, randomUUID(), {
      roleDefinitionId: roleId(ACR_PULL),
      principalId: kubelet
    })
    await client.roleAssignments.deleteById(again.id!)
    expect(h.twin.requests.at(-1)).toMatchObject({ method: 'DELETE', status: 200 })
    expect(h.twin.roleAssignments({ scope: registryId })).toHaveLength(0)
  })

  it('8 concurrent PUTs of one assignment: exactly one 201, seven 409', async () => {
    const name = randomUUID()
    const results = await Promise.allSettled(
      Array.from({ length: 8 }, (_, i) =>
        client.roleAssignments.create(registryId, i % 2 ? name : randomUUID(), {
          roleDefinitionId: roleId(ACR_PULL),
          principalId: kubelet,
          principalType: 'ServicePrincipal'
        })
      )
    )
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1)
    const codes = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []))
    expect(codes).toEqual(Array(7).fill('RoleAssignmentExists'))
    expect(h.twin.roleAssignments({ scope: registryId, principalId: kubelet })).toHaveLength(1)
  })

  it('PrincipalNotFound while the principal replicates, whatever principalType says', async () => {
    const c = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'fresh',
      identity: 'managedIdentity',
      kubeletVisibleAfterMs: 400
    })
    for (const principalType of [undefined, 'ServicePrincipal'] as const) {
      const err = await client.roleAssignments
        .create(registryId, randomUUID(), { roleDefinitionId: roleId(ACR_PULL), principalId: c.pullPrincipalId, principalType })
        .catch((e) => e)
      expect(err.statusCode).toBe(400)
      expect(err.code).toBe('PrincipalNotFound')
      expect(err.message).toBe(
        `Principal ${c.pullPrincipalId.replace(/-/g, '')} does not exist in the directory ${S.TENANT_ID}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`
      )
    }
    await new Promise((r) => setTimeout(r, 450))
    const ok = await client.roleAssignments.create(registryId, randomUUID(), {
      roleDefinitionId: roleId(ACR_PULL),
      principalId: c.pullPrincipalId,
      principalType: 'ServicePrincipal'
    })
    expect(ok.principalId).toBe(c.pullPrincipalId)
  })

  it('rejects unknown roles and mismatched principal types', async () => {
    const bogus = await client.roleAssignments
      .create(registryId, randomUUID(), { roleDefinitionId: roleId('11111111-2222-3333-4444-555555555555'), principalId: kubelet })
      .catch((e) => e)
    expect(bogus.code).toBe('RoleDefinitionDoesNotExist')
    const invalid = await client.roleAssignments
      .create(registryId, randomUUID(), { roleDefinitionId: 'AcrPull', principalId: kubelet })
      .catch((e) => e)
    expect(invalid.code).toBe('InvalidRoleDefinitionId')
    const user = await client.roleAssignments
      .create(registryId, randomUUID(), { roleDefinitionId: roleId(READER), principalId: kubelet, principalType: 'User' })
      .catch((e) => e)
    expect(user.code).toBe('UnmatchedPrincipalType')
  })

  it('403 for a Contributor, allowed for RBAC Administrator and User Access Administrator', async () => {
    const sub = 'repo:octo-org/octo-app:ref:refs/heads/rbac'
    const app = addCaller(h.twin, '99999999-0000-4000-8000-00000000000a', sub)
    h.twin.addRoleAssignment({ scope: `/subscriptions/${S.SUB}`, role: 'Contributor', principalId: app.objectId })
    const c = clientFor(credential(h.twin, { clientId: app.clientId, claims: { ref: 'refs/heads/rbac' } }))
    const body = { roleDefinitionId: roleId(READER), principalId: kubelet }
    const err = await c.roleAssignments.create(registryId, randomUUID(), body).catch((e) => e)
    expect(err.statusCode).toBe(403)
    expect(err.code).toBe('AuthorizationFailed')
    expect(err.message).toBe(
      `The client '${app.clientId}' with object id '${app.objectId}' does not have authorization to perform action 'Microsoft.Authorization/roleAssignments/write' over scope '${registryId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
    )
    const ra = h.twin.roleAssignments({ scope: registryId, principalId: kubelet })[0]
    const del = await c.roleAssignments.delete(registryId, ra.name).catch((e) => e)
    expect(del.message).toContain("'Microsoft.Authorization/roleAssignments/delete'")

    const rbacAdmin = h.twin.addRoleAssignment({
      scope: registryId,
      role: 'Role Based Access Control Administrator',
      principalId: app.objectId
    })
    await expect(c.roleAssignments.create(registryId, randomUUID(), body)).resolves.toMatchObject({ principalId: kubelet })
    h.twin.state.removeRoleAssignment(rbacAdmin.name)
    h.twin.addRoleAssignment({
      scope: `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}`,
      role: 'User Access Administrator',
      principalId: app.objectId
    })
    await expect(
      c.roleAssignments.create(registryId, randomUUID(), {
        roleDefinitionId: roleId('8311e382-0749-4cb8-b61a-304f252e45ec'),
        principalId: kubelet
      })
    ).resolves.toBeTruthy()
  })

  it('a caller with no role at all cannot even list', async () => {
    const app = addCaller(h.twin, '99999999-0000-4000-8000-00000000000b', 'repo:octo-org/octo-app:ref:refs/heads/none')
    const c = clientFor(credential(h.twin, { clientId: app.clientId, claims: { ref: 'refs/heads/none' } }))
    const err = await (async () => {
      for await (const _ of c.roleAssignments.listForScope(registryId)) void _
    })().catch((e) => e)
    expect(err.code).toBe('AuthorizationFailed')
    expect(err.message).toContain("'Microsoft.Authorization/roleAssignments/read'")
  })

  it('serves built-in role definitions by id and by name, with their permissions', async () => {
    const pull = await client.roleDefinitions.get(`/subscriptions/${S.SUB}`, ACR_PULL)
    expect(pull).toMatchObject({ roleName: 'AcrPull', roleType: 'BuiltInRole', id: roleId(ACR_PULL) })
    expect(pull.permissions?.[0].actions).toEqual(['Microsoft.ContainerRegistry/registries/pull/read'])
    const found = []
    for await (const d of client.roleDefinitions.list(registryId, { filter: "roleName eq 'Container Registry Repository Reader'" }))
      found.push(d)
    expect(found).toHaveLength(1)
    expect(found[0].name).toBe('b93aa761-3e63-49ed-ac28-beffa264f7ac')
    expect(found[0].permissions?.[0].dataActions).toContain('Microsoft.ContainerRegistry/registries/repositories/content/read')
    const custom = h.twin.addCustomRole({
      subscriptionId: S.SUB,
      name: 'Puller',
      actions: ['Microsoft.ContainerRegistry/registries/pull/read']
    })
    const byName = []
    for await (const d of client.roleDefinitions.list(`/subscriptions/${S.SUB}`, { filter: "roleName eq 'Puller'" })) byName.push(d)
    expect(byName.map((d) => d.name)).toEqual([custom.guid])
  })

  it('ABAC conditions round-trip', async () => {
    const abac = h.twin.addRegistry({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'abacacr',
      roleAssignmentMode: 'AbacRepositoryPermissions'
    })
    const condition =
      "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'team-a/'))"
    const ra = await client.roleAssignments.create(abac.id, randomUUID(), {
      roleDefinitionId: roleId('b93aa761-3e63-49ed-ac28-beffa264f7ac'),
      principalId: kubelet,
      condition,
      conditionVersion: '2.0'
    })
    expect(ra).toMatchObject({ condition, conditionVersion: '2.0' })
  })
})
