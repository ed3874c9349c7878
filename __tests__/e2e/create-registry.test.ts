import { describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../../twin/index.ts'
import { startProvisioning } from '../../twin/arm/registry-provisioning.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const SEED = readFileSync(join(import.meta.dirname, 'fixtures/acr-nginx.yaml'), 'utf8')

let counter = 0

/** A cluster of its own and the name of a registry that does not exist yet. */
function clusterWithoutRegistry(location = 'westeurope') {
  counter++
  const group = `rg-new-${counter}`
  const cluster = twin.addCluster({
    subscriptionId: world.subscriptionId,
    resourceGroup: group,
    name: `aks-new-${counter}`,
    identity: 'managedIdentity',
    location
  })
  return { cluster, group, name: `acrnew${counter}${randomUUID().slice(0, 6).replace(/-/g, '')}` }
}

const registryPuts = (since: number) =>
  requestsSince(world, since).filter((r) => r.method === 'PUT' && /\/Microsoft\.ContainerRegistry\/registries\/[^/]+$/i.test(r.path))
const nameChecks = (since: number) => requestsSince(world, since).filter((r) => /\/checkNameAvailability$/i.test(r.path))

function seedInputs(cluster: { name: string; resourceGroup: string }, registry: string, extra: Record<string, string> = {}) {
  return {
    ...baseInputs(world, cluster, registry),
    mode: 'attach, import, deploy',
    'create-registry': 'true',
    images: 'docker.io/library/nginx:latest => nginx:v1',
    manifests: 'k8s',
    ...extra
  }
}

describe('create-registry', () => {
  it("creates the missing registry in the cluster's region, then attaches, imports and deploys in the same run; a re-run changes nothing", async () => {
    const { cluster, group, name } = clusterWithoutRegistry('westeurope')
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const since = twin.requests.length
    const result = await run(world, seedInputs(cluster, name), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)

    const registry = twin.state.registry(world.subscriptionId, group, name)!
    expect(registry).toMatchObject({ sku: 'Basic', location: 'westeurope', roleAssignmentMode: 'LegacyRegistryPermissions' })
    expect(registryPuts(since).map((r) => r.status)).toEqual([201])
    expect(nameChecks(since).map((r) => r.status)).toEqual([200])
    // The creation went first, then the grant, the import and the pods, all against the new registry.
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId, role: 'AcrPull' })).toHaveLength(1)
    const digest = twin.tagDigest(registry.loginServer, 'nginx', 'v1')
    expect(digest).toBe(twin.tagDigest('docker.io', 'library/nginx', 'latest'))
    const pods = cluster.kube.list('Pod', 'default') as any[]
    expect(pods).toHaveLength(2)
    for (const pod of pods) {
      expect(pod.status.phase).toBe('Running')
      expect(pod.spec.containers[0].image).toBe(`${registry.loginServer}/nginx:v1@${digest}`)
    }
    expect(result.outputs).toMatchObject({
      'registry-id': registry.id,
      'login-server': registry.loginServer,
      ready: 'true',
      changed: 'true'
    })
    expect(result.log).toContain(`Registry ${name} does not exist in resource group ${group}`)
    expect(result.log).toContain(`Created container registry ${name}: ${registry.loginServer}`)
    expect(result.summary).toContain(`Created \`${name}\` (Basic) in westeurope, resource group \`${group}\``)
    expectNoSecrets(result)

    const replicaSets = cluster.kube.list('ReplicaSet', 'default').length
    const again = twin.requests.length
    const rerun = await run(world, seedInputs(cluster, name), { GITHUB_WORKSPACE: workspace })
    expect(rerun.exitCode).toBe(0)
    const writes = requestsSince(world, again).filter(
      (r) =>
        !r.host.endsWith('.azmk8s.io') &&
        (r.method === 'PUT' || r.method === 'DELETE' || /\/importImage$|\/checkNameAvailability$/i.test(r.path))
    )
    expect(writes.map((r) => `${r.method} ${r.path}`)).toEqual([])
    expect(rerun.log).toContain('it exists, so create-registry leaves it as it is')
    expect(rerun.summary).toContain(`\`${name}\` exists; create-registry left it as it is.`)
    expect(cluster.kube.list('ReplicaSet', 'default')).toHaveLength(replicaSets)
  })

  it('leaves an existing registry as it is, whatever SKU or region the inputs ask for', async () => {
    const { cluster, group } = clusterWithoutRegistry()
    const existing = twin.addRegistry({
      subscriptionId: world.subscriptionId,
      resourceGroup: group,
      name: `acrold${randomUUID().slice(0, 8)}`,
      sku: 'Standard',
      location: 'westeurope'
    })
    const since = twin.requests.length
    const result = await run(world, {
      ...baseInputs(world, cluster, existing.name),
      'create-registry': 'true',
      'registry-sku': 'Premium',
      'registry-location': 'eastus'
    })
    expect(result.exitCode).toBe(0)
    expect(registryPuts(since)).toEqual([])
    expect(nameChecks(since)).toEqual([])
    expect(twin.state.registry(world.subscriptionId, group, existing.name)).toMatchObject({ sku: 'Standard', location: 'westeurope' })
    expect(result.summary).toContain('exists; create-registry left it as it is')
    expect(result.outputs.changed).toBe('true') // the attach, not the registry
  })

  it('waits for a registry an earlier run left being created, and sends no PUT of its own', async () => {
    const { cluster, group } = clusterWithoutRegistry()
    const pending = twin.addRegistry({
      subscriptionId: world.subscriptionId,
      resourceGroup: group,
      name: `acrpend${randomUUID().slice(0, 8)}`
    })
    startProvisioning(twin.state, pending, 3000)
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, pending.name), 'create-registry': 'true' })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain(`Registry ${pending.name} is creating (provisioningState Creating); waiting for it`)
    expect(registryPuts(since)).toEqual([])
    // attach ran only once ARM called the registry Succeeded.
    const reads = requestsSince(world, since).filter((r) => r.method === 'GET' && r.path.toLowerCase() === pending.id.toLowerCase())
    expect(reads.length).toBeGreaterThan(1)
    expect(twin.roleAssignments({ scope: pending.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
  })

  it("fails with ARM's name-availability answer when the name is taken in another tenant, and sends no PUT", async () => {
    const { cluster } = clusterWithoutRegistry()
    const elsewhere = twin.addTenant({ displayName: 'Fabrikam' })
    const theirs = randomUUID()
    twin.addSubscription(theirs, { tenantId: elsewhere.id })
    const taken = twin.addRegistry({ subscriptionId: theirs, resourceGroup: 'fabrikam-rg', name: `fabrikam${randomUUID().slice(0, 8)}` })
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, taken.name), 'create-registry': 'true' })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`Cannot create registry '${taken.name}': the name is taken elsewhere in Azure`)
    expect(message).toContain(`AlreadyExists: The registry ${taken.name} is already in use`)
    expect(message).toContain("Choose another name in 'registry'")
    expect(registryPuts(since)).toEqual([])
    expect(twin.roleAssignments({ principalId: cluster.pullPrincipalId })).toEqual([])
  })

  it('names the registry that holds the name when the signed-in identity can see it', async () => {
    const { cluster } = clusterWithoutRegistry()
    const holder = twin.addRegistry({
      subscriptionId: world.otherSubscriptionId,
      resourceGroup: 'shared-acr',
      name: `shared${randomUUID().slice(0, 8)}`
    })
    const result = await run(world, { ...baseInputs(world, cluster, holder.name), 'create-registry': 'true' })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(`the name is taken by ${holder.id}`)
    expect(errorAnnotation(result.log)).toContain("give its resource ID in 'registry'")
  })

  it('dry-run: plans the creation, sends no PUT and changes nothing', async () => {
    const { cluster, group, name } = clusterWithoutRegistry()
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const since = twin.requests.length
    const result = await run(world, seedInputs(cluster, name, { 'dry-run': 'true', 'registry-sku': 'Standard' }), {
      GITHUB_WORKSPACE: workspace
    })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain(`Dry run: would create container registry ${name} (Standard) in westeurope, resource group ${group}`)
    expect(result.log).toContain('Dry run: would create AcrPull')
    expect(result.log).toContain('Dry run: would import docker.io/library/nginx:latest')
    expect(result.log).toContain('deployment/nginx0-deployment in default would be created (server dry run)')
    expect(result.summary).toContain(`Would create container registry ${name} (Standard) in westeurope`)
    const mutating = requestsSince(world, since).filter((r) => {
      if (r.method === 'GET' || r.method === 'HEAD') return false
      if (/\/oauth2|\/github|\/list\w*Credential$|\/checkNameAvailability$/i.test(r.path)) return false
      return r.host.endsWith('.azmk8s.io') ? r.query.dryRun !== 'All' : true
    })
    expect(mutating.map((r) => `${r.method} ${r.path}`)).toEqual([])
    expect(twin.state.registry(world.subscriptionId, group, name)).toBeUndefined()
    expect(result.outputs.changed).toBe('false')
  })

  it('refuses an invalid name, a login server and a missing resource group before any request', async () => {
    const { cluster } = clusterWithoutRegistry()
    const since = twin.requests.length
    const invalid = await run(world, { ...baseInputs(world, cluster, 'my-acr'), 'create-registry': 'true' })
    expect(invalid.exitCode).toBe(1)
    expect(errorAnnotation(invalid.log)).toContain("Input 'registry': 'my-acr' cannot be an Azure Container Registry name")
    const server = await run(world, { ...baseInputs(world, cluster, 'someacr1.azurecr.io'), 'create-registry': 'true' })
    expect(errorAnnotation(server.log)).toContain("Input 'create-registry': needs the registry's name")
    const byId = {
      ...baseInputs(world, { name: cluster.id, resourceGroup: '' }, 'someacr1'),
      'resource-group': '',
      'create-registry': 'true'
    }
    expect(errorAnnotation((await run(world, byId)).log)).toContain(
      "Input 'resource-group': is required to create registry 'someacr1' by name"
    )
    expect(requestsSince(world, since)).toEqual([])
  })

  it('says which resource group is missing rather than creating one', async () => {
    const { cluster } = clusterWithoutRegistry()
    const id = `/subscriptions/${world.subscriptionId}/resourceGroups/no-such-group/providers/Microsoft.ContainerRegistry/registries/acrnogroup${counter}`
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, id), 'create-registry': 'true' })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("resource group 'no-such-group' does not exist")
    expect(errorAnnotation(result.log)).toContain('az group create --name no-such-group')
    expect(registryPuts(since)).toEqual([])
  })
})
