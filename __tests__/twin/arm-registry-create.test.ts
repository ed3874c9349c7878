import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { checkNameAvailability, create, get } from '@azure/arm-containerregistry/api/registries'
import type { TokenCredential } from '@azure/core-auth'
import { startSeeded, credential, addCaller, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO

/** Creating a registry and checking a name, held to the real @azure/arm-containerregistry (2025-11-01) and its poller. */
describe('registries: create (a long-running PUT) and checkNameAvailability', () => {
  let h: Harness
  const client = (cred: TokenCredential = credential(h.twin), sub: string = S.SUB) =>
    createContainerRegistryManagement(cred, sub, { endpoint: h.twin.url, credentials: { scopes: [S.ARM_SCOPE] }, apiVersion: '2025-11-01' })
  const registryPath = (name: string, group: string = S.RESOURCE_GROUP) =>
    `/subscriptions/${S.SUB}/resourceGroups/${group}/providers/Microsoft.ContainerRegistry/registries/${name}`

  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('PUT answers 201 Creating with Azure-AsyncOperation; the poller waits for Succeeded, then reads the registry', async () => {
    const name = `newacr${randomUUID().slice(0, 8)}`
    const before = h.twin.requests.length
    const created = await create(
      client(),
      S.RESOURCE_GROUP,
      name,
      { location: 'westeurope', sku: { name: 'Basic' }, adminUserEnabled: false },
      { updateIntervalInMs: 200 }
    ).pollUntilDone()
    expect(created).toMatchObject({
      name,
      location: 'westeurope',
      loginServer: `${name}.azurecr.io`,
      provisioningState: 'Succeeded',
      roleAssignmentMode: 'LegacyRegistryPermissions',
      adminUserEnabled: false
    })
    expect(created.sku).toEqual({ name: 'Basic', tier: 'Basic' })
    const served = h.twin.requests.slice(before).filter((r) => r.path.startsWith('/subscriptions/'))
    expect(served[0]).toMatchObject({ method: 'PUT', status: 201, path: registryPath(name) })
    const polls = served.slice(1, -1)
    expect(polls.length).toBeGreaterThan(1)
    expect(
      polls.every((r) => new RegExp(`^${registryPath(name)}/operationStatuses/registries-[0-9a-f-]{36}$`).test(r.path) && r.status === 200)
    ).toBe(true)
    expect(served.at(-1)).toMatchObject({ method: 'GET', status: 200, path: registryPath(name) })
    expect(h.twin.state.registry(S.SUB, S.RESOURCE_GROUP, name)).toMatchObject({ sku: 'Basic', location: 'westeurope' })
  })

  it('answers the PUT as RegistryCreate.json does, and GET says Creating until the operation is done', async () => {
    const name = `rawacr${randomUUID().slice(0, 8)}`
    const token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
    const put = await armFetch(h.twin, `${registryPath(name)}?api-version=2025-11-01`, {
      method: 'PUT',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'eastus', sku: { name: 'Standard' } })
    })
    expect(put.status).toBe(201)
    expect(put.body).toMatchObject({
      name,
      type: 'Microsoft.ContainerRegistry/registries',
      sku: { name: 'Standard', tier: 'Standard' },
      properties: { provisioningState: 'Creating', loginServer: `${name}.azurecr.io` }
    })
    const operation = put.headers.get('azure-asyncoperation')!
    expect(operation).toMatch(
      new RegExp(`^${h.twin.url}${registryPath(name)}/operationStatuses/registries-[0-9a-f-]{36}\\?api-version=2025-11-01$`)
    )
    const path = operation.slice(h.twin.url.length)
    expect((await armFetch(h.twin, path, { token })).body).toEqual({ status: 'InProgress' })
    expect((await armFetch(h.twin, `${registryPath(name)}?api-version=2025-11-01`, { token })).body.properties.provisioningState).toBe(
      'Creating'
    )
    // Polled as a client would, until the operation ends (it does, on the twin's clock).
    let status = 'InProgress'
    for (let polls = 0; status === 'InProgress' && polls < 200; polls++) {
      await new Promise((r) => setTimeout(r, 50))
      status = (await armFetch(h.twin, path, { token })).body.status
    }
    expect(status).toBe('Succeeded')
    expect((await armFetch(h.twin, `${registryPath(name)}?api-version=2025-11-01`, { token })).body.properties.provisioningState).toBe(
      'Succeeded'
    )
  })

  it('checkNameAvailability: free, taken in another tenant (RegistryCheckNameNotAvailable.json), invalid', async () => {
    const other = h.twin.addTenant({ displayName: 'Fabrikam' })
    const theirs = randomUUID()
    h.twin.addSubscription(theirs, { tenantId: other.id })
    const taken = h.twin.addRegistry({ subscriptionId: theirs, resourceGroup: 'fabrikam', name: `fabrikam${randomUUID().slice(0, 6)}` })
    const check = (name: string) => checkNameAvailability(client(), { name, type: 'Microsoft.ContainerRegistry/registries' })
    expect(await check(`freeacr${randomUUID().slice(0, 8)}`)).toEqual({ nameAvailable: true, reason: undefined, message: undefined })
    // Names are global and compared without case, across every tenant.
    expect(await check(taken.name.toUpperCase())).toEqual({
      nameAvailable: false,
      reason: 'AlreadyExists',
      message: `The registry ${taken.name.toUpperCase()} is already in use.`
    })
    expect(await check('my-acr')).toMatchObject({ nameAvailable: false, reason: 'Invalid' })
  })

  it('a PUT of a name taken elsewhere fails with AlreadyInUse, which the SDK throws as a RestError', async () => {
    const taken = h.twin.addRegistry({
      subscriptionId: S.OTHER_SUB,
      resourceGroup: 'elsewhere',
      name: `takenacr${randomUUID().slice(0, 6)}`
    })
    const error = await create(client(), S.RESOURCE_GROUP, taken.name, { location: 'eastus', sku: { name: 'Basic' } })
      .pollUntilDone()
      .then(
        () => undefined,
        (e) => e
      )
    expect(error).toMatchObject({ name: 'RestError', statusCode: 409 })
    expect(error.code ?? error.details?.error?.code).toBe('AlreadyInUse')
    expect(String(error.message)).toContain(`The registry DNS name ${taken.name.toLowerCase()}.azurecr.io is already in use`)
  })

  it('refuses a missing resource group, an unknown region, and a caller without registries/write or checkNameAvailability/read', async () => {
    const name = `refacr${randomUUID().slice(0, 8)}`
    const noGroup = await create(client(), 'no-such-group', name, { location: 'eastus', sku: { name: 'Basic' } })
      .pollUntilDone()
      .then(
        () => undefined,
        (e) => e
      )
    expect(noGroup).toMatchObject({ statusCode: 404, code: 'ResourceGroupNotFound' })
    const region = await create(client(), S.RESOURCE_GROUP, name, { location: 'atlantis', sku: { name: 'Basic' } })
      .pollUntilDone()
      .then(
        () => undefined,
        (e) => e
      )
    expect(region).toMatchObject({ statusCode: 400, code: 'LocationNotAvailableForResourceType' })

    // A Contributor of the resource group alone may create there, but not ask ARM about names at the subscription.
    const clientId = randomUUID()
    const subject = 'repo:octo-org/octo-app:environment:rg-only'
    const app = addCaller(h.twin, clientId, subject)
    h.twin.addRoleAssignment({
      scope: `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}`,
      role: 'Contributor',
      principalId: app.objectId
    })
    const rgOnly = client(credential(h.twin, { clientId, claims: { sub: subject } }))
    const denied = await checkNameAvailability(rgOnly, { name, type: 'Microsoft.ContainerRegistry/registries' }).then(
      () => undefined,
      (e) => e
    )
    expect(denied).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    expect(String(denied.message)).toContain("'Microsoft.ContainerRegistry/checkNameAvailability/read' over scope '/subscriptions/")
    const made = await create(
      rgOnly,
      S.RESOURCE_GROUP,
      name,
      { location: 'eastus', sku: { name: 'Premium' } },
      { updateIntervalInMs: 200 }
    ).pollUntilDone()
    expect(made.provisioningState).toBe('Succeeded')
    const readerOnly = randomUUID()
    const readerApp = addCaller(h.twin, readerOnly, 'repo:octo-org/octo-app:environment:reader')
    h.twin.addRoleAssignment({ scope: `/subscriptions/${S.SUB}`, role: 'Reader', principalId: readerApp.objectId })
    const reader = client(credential(h.twin, { clientId: readerOnly, claims: { sub: 'repo:octo-org/octo-app:environment:reader' } }))
    const write = await create(reader, S.RESOURCE_GROUP, `rdr${name}`, { location: 'eastus', sku: { name: 'Basic' } })
      .pollUntilDone()
      .then(
        () => undefined,
        (e) => e
      )
    expect(write).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    expect((await get(reader, S.RESOURCE_GROUP, name)).name).toBe(name)
  })
})
