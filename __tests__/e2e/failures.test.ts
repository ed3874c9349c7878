import { describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { AUDIENCE, baseInputs, expectNoSecrets, freshPair, ISSUER, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

describe('inputs are refused before any request', () => {
  const cases: Array<[string, (inputs: Record<string, string>) => Record<string, string>, string]> = [
    ['an unknown mode', (i) => ({ ...i, mode: 'attach, promote' }), "Input 'mode'"],
    ['an input of a mode not asked for', (i) => ({ ...i, 'check-pull': 'true' }), "Input 'check-pull'"],
    ['a timeout that is not a duration', (i) => ({ ...i, mode: 'deploy', manifests: 'k8s', timeout: 'a while' }), "Input 'timeout'"],
    ['attach with detach', (i) => ({ ...i, mode: 'attach detach' }), "Input 'mode'"],
    [
      'a malformed cluster resource ID',
      (i) => ({ ...i, cluster: '/subscriptions/123/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c' }),
      "Input 'cluster'"
    ],
    [
      'a malformed registry resource ID',
      (i) => ({ ...i, registry: '/subscriptions/x/providers/Microsoft.ContainerRegistry/registries/acr' }),
      "Input 'registry'"
    ],
    ['a registry name that cannot be an ACR name', (i) => ({ ...i, registry: 'my-registry' }), "Input 'registry'"],
    ['a missing cluster', (i) => ({ ...i, cluster: '' }), "Input 'cluster'"],
    ['a missing registry', (i) => ({ ...i, registry: '' }), "Input 'registry'"],
    ['an unknown cloud', (i) => ({ ...i, environment: 'AzureStack' }), "Input 'environment'"]
  ]
  it.each(cases)('%s', async (_name, change, expected) => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, change(baseInputs(world, cluster, registry.name)))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(expected)
    expect(requestsSince(world, since)).toEqual([])
    expect(result.outputs.changed).toBe('false')
  })
})

describe('hostile or impossible inputs are refused before any request', () => {
  const bomb = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    '  name: laughs',
    'data:',
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
    ...'bcdefghi'.split('').map((key, i) => `  ${key}: &${key} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`)
  ].join('\n')
  const huge = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  blob: "${'x'.repeat(5 * 1024 * 1024)}"\n`
  const cases: Array<[string, Record<string, string>, Record<string, string>, string]> = [
    ['a timeout of 0', { timeout: '0' }, {}, "Input 'timeout': '0' is shorter than 1s"],
    ['a timeout Node timers cannot hold', { timeout: '99999h' }, {}, "Input 'timeout': '99999h' is longer than 24h"],
    ['a 20-digit timeout', { timeout: '12345678901234567890' }, {}, "Input 'timeout': '12345678901234567890' is longer than 24h"],
    [
      'a YAML alias bomb in a ConfigMap',
      {},
      { 'k8s/bomb.yaml': bomb },
      "Input 'manifests': k8s/bomb.yaml#1 (ConfigMap laughs) is larger than 1 MiB once expanded"
    ],
    ['a 5 MB ConfigMap', {}, { 'k8s/huge.yaml': huge }, "Input 'manifests': k8s/huge.yaml#1 (ConfigMap huge) is larger than 1 MiB"]
  ]
  it.each(cases)('%s', async (_name, inputs, files, expected) => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/ok.yaml': deployment('ok', 'nginx'), ...files })
    const since = twin.requests.length
    const result = await run(
      world,
      { ...baseInputs(world, cluster, registry.name), mode: 'attach, deploy', manifests: 'k8s', ...inputs },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(expected)
    expect(requestsSince(world, since)).toEqual([])
  })
})

describe('sign-in failures', () => {
  it('says the workflow lacks id-token: write when the runner offers no OIDC token', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name), {
      ACTIONS_ID_TOKEN_REQUEST_URL: '',
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: ''
    })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('permissions: id-token: write')
    expect(requestsSince(world, since)).toEqual([])
  })

  it('quotes issuer, subject and audience and the federated credential to add when the subject does not match', async () => {
    const { cluster, registry } = freshPair(world)
    const subject = 'repo:octo-org/octo-app:environment:prod'
    const requestToken = twin.github.requestToken({ sub: subject })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, cluster, registry.name), { ACTIONS_ID_TOKEN_REQUEST_TOKEN: requestToken })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('AADSTS70021')
    expect(message).toContain(`issuer '${ISSUER}', subject '${subject}', audience '${AUDIENCE}'`)
    expect(message).toContain(`az ad app federated-credential create --id ${world.clientId}`)
    expect(requestsSince(world, since).filter((r) => /subscriptions/i.test(r.path))).toEqual([])
    expectNoSecrets(result, [requestToken])
  })

  it("understands Entra's per-field codes (AADSTS700213) as a subject mismatch too", async () => {
    const { cluster, registry } = freshPair(world)
    const subject = 'repo:octo-org/octo-app:pull_request'
    twin.state.ficErrorStyle = 'specific'
    const result = await run(world, baseInputs(world, cluster, registry.name), {
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: twin.github.requestToken({ sub: subject })
    })
    twin.state.ficErrorStyle = 'legacy'
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('AADSTS700213')
    expect(errorAnnotation(result.log)).toContain(`subject '${subject}'`)
  })

  it('names tenant-id when the tenant does not exist', async () => {
    const { cluster, registry } = freshPair(world)
    const tenant = randomUUID()
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), 'tenant-id': tenant })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(`tenant '${tenant}' could not be resolved`)
    expect(errorAnnotation(result.log)).toContain("Check 'tenant-id'")
  })

  it('names client-id and tenant-id when the application is not in the tenant', async () => {
    const { cluster, registry } = freshPair(world)
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), 'client-id': randomUUID() })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('AADSTS700016')
    expect(errorAnnotation(result.log)).toContain("Check 'client-id' and 'tenant-id'")
  })
})

describe('Azure refusals', () => {
  it('a caller without rights to assign roles learns the permission and the role to grant', async () => {
    const { cluster, registry } = freshPair(world)
    const reader = twin.addApp({
      tenantId: world.tenantId,
      clientId: randomUUID(),
      federatedCredentials: [{ issuer: ISSUER, subject: 'repo:octo-org/octo-app:ref:refs/heads/main', audiences: [AUDIENCE] }]
    })
    twin.addRoleAssignment({ scope: `/subscriptions/${world.subscriptionId}`, role: 'Reader', principalId: reader.objectId })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), 'client-id': reader.clientId })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('AuthorizationFailed')
    expect(message).toContain('Microsoft.Authorization/roleAssignments/write')
    expect(message).toContain('Role Based Access Control Administrator')
    expect(message).toContain(reader.objectId)
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toEqual([])
    expect(result.summary).toContain('❌ failed')
    expect(result.outputs['kubelet-object-id']).toBe(cluster.pullPrincipalId)
    expectNoSecrets(result)
  })

  it('a registry name that exists nowhere in the subscription is reported as such', async () => {
    const { cluster } = freshPair(world)
    const result = await run(world, baseInputs(world, cluster, 'nosuchregistry42'))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(`No container registry named 'nosuchregistry42' in subscription ${world.subscriptionId}`)
  })

  it('a registry resource ID that does not exist keeps the ARM error code', async () => {
    const { cluster } = freshPair(world)
    const id = `/subscriptions/${world.otherSubscriptionId}/resourceGroups/nowhere/providers/Microsoft.ContainerRegistry/registries/ghostacr`
    const result = await run(world, baseInputs(world, cluster, id))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toMatch(/Could not read container registry 'ghostacr'.*(ResourceNotFound|ResourceGroupNotFound)/s)
  })

  it('a cluster that does not exist names the inputs to check', async () => {
    const { registry } = freshPair(world)
    const result = await run(world, baseInputs(world, { name: 'ghost-aks', resourceGroup: 'rg-nowhere' }, registry.name))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Could not read AKS cluster 'ghost-aks'")
    expect(errorAnnotation(result.log)).toContain("Check 'cluster', 'resource-group' and 'subscription-id'")
  })

  it('a service-principal cluster without Graph read access says which permission is missing', async () => {
    const { cluster, registry } = freshPair(world, { identity: 'servicePrincipal' })
    const noGraph = twin.addApp({
      tenantId: world.tenantId,
      clientId: randomUUID(),
      federatedCredentials: [{ issuer: ISSUER, subject: 'repo:octo-org/octo-app:ref:refs/heads/main', audiences: [AUDIENCE] }]
    })
    twin.addRoleAssignment({ scope: `/subscriptions/${world.subscriptionId}`, role: 'Owner', principalId: noGraph.objectId })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), 'client-id': noGraph.clientId })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('Application.Read.All')
  })
})
