import { describe, expect, it } from '@jest/globals'
import { readSettings } from '../../src/settings/settings.js'
import { InputError } from '../../src/errors.js'

const SUB = '11111111-2222-3333-4444-555555555555'
const OTHER = 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee'
const base: Record<string, string> = {
  cluster: 'myAKSCluster',
  'resource-group': 'myResourceGroup',
  registry: 'myacr01',
  'subscription-id': SUB,
  'tenant-id': '99999999-9999-9999-9999-999999999999',
  'client-id': '88888888-8888-8888-8888-888888888888'
}
const env = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://example.invalid/token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'request-token' }

function read(overrides: Record<string, string> = {}, environment: NodeJS.ProcessEnv = env) {
  const inputs = { ...base, ...overrides }
  return readSettings((name) => inputs[name] ?? '', environment)
}

function failure(overrides: Record<string, string>, environment: NodeJS.ProcessEnv = env): InputError {
  try {
    read(overrides, environment)
  } catch (error) {
    expect(error).toBeInstanceOf(InputError)
    return error as InputError
  }
  throw new Error('expected readSettings to throw')
}

describe('mode', () => {
  it('defaults to attach', () => {
    expect(read().modes).toEqual(['attach'])
  })
  it('accepts commas, spaces and new lines and ignores case', () => {
    expect(read({ mode: ' Detach,\n' }).modes).toEqual(['detach'])
  })
  it('refuses an unknown mode naming the input', () => {
    const error = failure({ mode: 'attach, frobnicate' })
    expect(error.input).toBe('mode')
    expect(error.message).toContain("'frobnicate' is not a mode")
  })
  it('refuses attach with detach', () => {
    expect(failure({ mode: 'detach attach' }).message).toContain("'attach' and 'detach' undo each other")
  })
  it('orders modes as attach, detach, import, check, deploy whatever the input order', () => {
    expect(read({ mode: 'deploy import attach check', images: 'nginx', manifests: 'k8s' }).modes).toEqual(['attach', 'import', 'check', 'deploy'])
  })
  it.each([
    ['check-pull', { 'check-pull': 'true' }],
    ['manifests', { manifests: 'k8s' }],
    ['images', { images: 'nginx' }],
    ['repositories', { mode: 'import', images: 'nginx', repositories: 'team-a/*' }],
    ['import-mode', { 'import-mode': 'force' }],
    ['timeout', { timeout: '10m' }],
    ['rollback-on-failure', { 'rollback-on-failure': 'yes' }]
  ])('refuses %s when its mode is not asked for', (input, extra) => {
    expect(failure(extra).input).toBe(input)
  })
  it('takes the defaults the runner passes for inputs of modes not asked for', () => {
    expect(read({ 'import-mode': 'skip-existing', timeout: '5m', 'check-pull': 'false', admin: 'false' }).modes).toEqual(['attach'])
  })
  it('refuses check-pull without an image to pull', () => {
    expect(failure({ mode: 'check', 'check-pull': 'true' }).input).toBe('check-image')
  })
  it('refuses a timeout it cannot read', () => {
    expect(failure({ mode: 'deploy', manifests: 'k8s', timeout: 'soon' }).input).toBe('timeout')
  })
  it.each(['0', '0s', '500ms', '99999h', '25h', '100000', '12345678901234567890', '-5m', '1d'])('refuses timeout %s, outside 1s to 24h or unreadable', (timeout) => {
    expect(failure({ mode: 'deploy', manifests: 'k8s', timeout }).input).toBe('timeout')
  })
  it('takes the bounds themselves', () => {
    expect(read({ mode: 'deploy', manifests: 'k8s', timeout: '1s' }).timeoutMs).toBe(1000)
    expect(read({ mode: 'deploy', manifests: 'k8s', timeout: '24h' }).timeoutMs).toBe(86_400_000)
    expect(read({ mode: 'deploy', manifests: 'k8s', timeout: '86400' }).timeoutMs).toBe(86_400_000)
  })
  it('reads durations as kubectl does', () => {
    expect(read({ mode: 'deploy', manifests: 'k8s', timeout: '1h30m' }).timeoutMs).toBe(5_400_000)
    expect(read({ mode: 'deploy', manifests: 'k8s', timeout: '90' }).timeoutMs).toBe(90_000)
  })
})

describe('cluster', () => {
  it('builds the resource ID from name, group and subscription', () => {
    expect(read().cluster!.id).toBe(`/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myAKSCluster`)
  })
  it('takes a resource ID with its own subscription, without resource-group', () => {
    const id = `/subscriptions/${OTHER}/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/c2`
    const settings = read({ cluster: id, 'resource-group': '', 'subscription-id': '' })
    expect(settings.cluster).toMatchObject({ subscriptionId: OTHER, resourceGroup: 'rg2', name: 'c2' })
    expect(settings.subscriptionId).toBe(OTHER)
  })
  it('is required', () => {
    expect(failure({ cluster: '' }).input).toBe('cluster')
  })
  it('refuses a malformed resource ID', () => {
    const error = failure({ cluster: '/subscriptions/not-a-guid/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c' })
    expect(error.input).toBe('cluster')
    expect(error.message).toContain('not a subscription ID')
  })
  it('refuses a resource ID of another type', () => {
    const error = failure({ cluster: `/subscriptions/${SUB}/resourceGroups/rg/providers/Microsoft.ContainerRegistry/registries/myacr01` })
    expect(error.message).toContain('names a Microsoft.ContainerRegistry/registries, not a Microsoft.ContainerService/managedClusters')
  })
  it('needs resource-group with a name', () => {
    expect(failure({ 'resource-group': '' }).input).toBe('resource-group')
  })
  it('needs a subscription with a name, from the input or AZURE_SUBSCRIPTION_ID', () => {
    expect(failure({ 'subscription-id': '' }).input).toBe('subscription-id')
    expect(read({ 'subscription-id': '' }, { ...env, AZURE_SUBSCRIPTION_ID: OTHER }).cluster!.subscriptionId).toBe(OTHER)
  })
  it('refuses a resource-group that contradicts the resource ID', () => {
    const id = `/subscriptions/${OTHER}/resourceGroups/rg2/providers/Microsoft.ContainerService/managedClusters/c2`
    expect(failure({ cluster: id, 'resource-group': 'rg3' }).input).toBe('resource-group')
  })
  it('refuses a name AKS would not accept', () => {
    expect(failure({ cluster: '-bad-' }).input).toBe('cluster')
  })
})

describe('registry', () => {
  it('takes a name', () => {
    expect(read().registry).toEqual({ kind: 'name', name: 'myacr01' })
  })
  it('takes a login server, with or without scheme', () => {
    expect(read({ registry: 'https://MyAcr01.azurecr.io/' }).registry).toEqual({ kind: 'login-server', loginServer: 'myacr01.azurecr.io' })
  })
  it('takes a resource ID in another subscription', () => {
    const id = `/subscriptions/${OTHER}/resourceGroups/shared/providers/Microsoft.ContainerRegistry/registries/sharedacr`
    const ref = read({ registry: id }).registry
    expect(ref.kind === 'id' && ref.resource.subscriptionId).toBe(OTHER)
  })
  it.each(['my-acr', 'acr', 'my_acr_registry', 'a'.repeat(51)])('refuses %s, which cannot be an ACR name', (name) => {
    const error = failure({ registry: name })
    expect(error.input).toBe('registry')
    expect(error.message).toContain('cannot be an Azure Container Registry name')
  })
  it('refuses a login server of another cloud', () => {
    expect(failure({ registry: 'myacr01.azurecr.cn' }).message).toContain('expected <name>.azurecr.io')
    expect(read({ registry: 'myacr01.azurecr.cn', environment: 'AzureChinaCloud' }).registry.kind).toBe('login-server')
  })
  it('is required', () => {
    expect(failure({ registry: '' }).input).toBe('registry')
  })
})

describe('sign-in and cloud', () => {
  it('falls back to AZURE_TENANT_ID and AZURE_CLIENT_ID', () => {
    const settings = read({ 'tenant-id': '', 'client-id': '' }, { ...env, AZURE_TENANT_ID: base['tenant-id'], AZURE_CLIENT_ID: base['client-id'] })
    expect(settings.signIn).toMatchObject({ tenantId: base['tenant-id'], clientId: base['client-id'], audience: 'api://AzureADTokenExchange' })
  })
  it('refuses a client-id that is not a GUID', () => {
    expect(failure({ 'client-id': 'my-app' }).input).toBe('client-id')
  })
  it('requires tenant-id', () => {
    expect(failure({ 'tenant-id': '' }).input).toBe('tenant-id')
  })
  it('knows the sovereign clouds', () => {
    expect(read({ environment: 'azureusgovernment' }).cloud).toMatchObject({ armEndpoint: 'https://management.usgovcloudapi.net', acrSuffix: 'azurecr.us' })
  })
  it('refuses an unknown cloud', () => {
    expect(failure({ environment: 'AzureGermanCloud' }).input).toBe('environment')
  })
  it('overrides endpoints but keeps the audience of the cloud', () => {
    const cloud = read({ 'arm-endpoint': 'https://127.0.0.1:8443/', 'authority-host': 'https://127.0.0.1:8443' }).cloud
    expect(cloud).toMatchObject({ armEndpoint: 'https://127.0.0.1:8443', authorityHost: 'https://127.0.0.1:8443', armAudience: 'https://management.core.windows.net/' })
  })
  it('refuses a plain http endpoint, which would carry tokens in clear', () => {
    expect(failure({ 'arm-endpoint': 'http://127.0.0.1:8080' }).input).toBe('arm-endpoint')
  })
  it('records that no OIDC token can be requested', () => {
    expect(read({}, {}).signIn.oidcRequest).toBeUndefined()
  })
})

describe('repositories', () => {
  it('accepts names and prefixes', () => {
    expect(read({ repositories: 'team-a/*, nginx\nlibrary/redis' }).repositories).toEqual(['team-a/*', 'nginx', 'library/redis'])
  })
  it('refuses what cannot be a repository name', () => {
    expect(failure({ repositories: 'Team A' }).input).toBe('repositories')
  })
})
