import { describe, expect, it } from '@jest/globals'
import { readSettings } from '../../src/settings/settings.js'
import { InputError } from '../../src/errors.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

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
    expect(read({ mode: 'deploy import attach check', images: 'nginx', manifests: 'k8s' }).modes).toEqual([
      'attach',
      'import',
      'check',
      'deploy'
    ])
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
  it.each(['0', '0s', '500ms', '99999h', '25h', '100000', '12345678901234567890', '-5m', '1d'])(
    'refuses timeout %s, outside 1s to 24h or unreadable',
    (timeout) => {
      expect(failure({ mode: 'deploy', manifests: 'k8s', timeout }).input).toBe('timeout')
    }
  )
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
    expect(read().cluster!.id).toBe(
      `/subscriptions/${SUB}/resourceGroups/myResourceGroup/providers/Microsoft.ContainerService/managedClusters/myAKSCluster`
    )
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
    const settings = read(
      { 'tenant-id': '', 'client-id': '' },
      { ...env, AZURE_TENANT_ID: base['tenant-id'], AZURE_CLIENT_ID: base['client-id'] }
    )
    expect(settings.signIn).toMatchObject({
      tenantId: base['tenant-id'],
      clientId: base['client-id'],
      audience: 'api://AzureADTokenExchange'
    })
  })
  it('refuses a client-id that is not a GUID', () => {
    expect(failure({ 'client-id': 'my-app' }).input).toBe('client-id')
  })
  it('requires tenant-id', () => {
    expect(failure({ 'tenant-id': '' }).input).toBe('tenant-id')
  })
  it('knows the sovereign clouds', () => {
    expect(read({ environment: 'azureusgovernment' }).cloud).toMatchObject({
      armEndpoint: 'https://management.usgovcloudapi.net',
      acrSuffix: 'azurecr.us'
    })
  })
  it('refuses an unknown cloud', () => {
    expect(failure({ environment: 'AzureGermanCloud' }).input).toBe('environment')
  })
  it('overrides endpoints but keeps the audience of the cloud', () => {
    const cloud = read({ 'arm-endpoint': 'https://127.0.0.1:8443/', 'authority-host': 'https://127.0.0.1:8443' }).cloud
    expect(cloud).toMatchObject({
      armEndpoint: 'https://127.0.0.1:8443',
      authorityHost: 'https://127.0.0.1:8443',
      armAudience: 'https://management.core.windows.net/'
    })
  })
  it('refuses a plain http endpoint, which would carry tokens in clear', () => {
    expect(failure({ 'arm-endpoint': 'http://127.0.0.1:8080' }).input).toBe('arm-endpoint')
  })
  it('records that no OIDC token can be requested', () => {
    const signIn = read({ 'auth-type': 'oidc' }, {}).signIn
    expect(signIn.method === 'oidc' && signIn.oidcRequest).toBeUndefined()
  })
})

describe('auth-type', () => {
  const tokenFile = join(mkdtempSync(join(tmpdir(), 'sign-in-settings-')), 'azure-identity-token')
  writeFileSync(tokenFile, 'header.payload.signature')
  const workloadEnv = {
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_CLIENT_ID: OTHER,
    AZURE_TENANT_ID: base['tenant-id'],
    AZURE_AUTHORITY_HOST: 'https://login.microsoftonline.com/'
  }
  const noIdentity = { 'tenant-id': '', 'client-id': '' }

  it('auto takes GitHub OIDC when the job can request a token, whatever else is there', () => {
    expect(read({}, { ...env, ...workloadEnv }).signIn).toMatchObject({
      method: 'oidc',
      authType: 'auto',
      reason: 'auth-type is auto and this job can request a GitHub OIDC token'
    })
  })
  it('auto takes workload identity when the token file is there, with the identity the webhook names', () => {
    expect(read(noIdentity, workloadEnv).signIn).toMatchObject({
      method: 'workload-identity',
      clientId: OTHER,
      clientIdFrom: 'AZURE_CLIENT_ID',
      tenantId: base['tenant-id'],
      tokenFile,
      authorityHost: 'https://login.microsoftonline.com'
    })
  })
  it('inputs win over what the webhook set', () => {
    expect(read({ 'auth-type': 'workload-identity' }, workloadEnv).signIn).toMatchObject({
      clientId: base['client-id'],
      clientIdFrom: 'client-id'
    })
  })
  it('authority-host wins over AZURE_AUTHORITY_HOST', () => {
    expect(read({ ...noIdentity, 'authority-host': 'https://127.0.0.1:8443' }, workloadEnv).signIn).toMatchObject({
      method: 'workload-identity',
      authorityHost: undefined
    })
  })
  it('auto passes over a token file that is not there, and leaves the managed identity to the metadata service', () => {
    const signIn = read(noIdentity, { ...workloadEnv, AZURE_FEDERATED_TOKEN_FILE: '/nowhere/token' }).signIn
    expect(signIn).toMatchObject({ method: 'managed-identity', metadataHost: 'http://169.254.169.254', auto: { probe: true } })
    expect(signIn.method === 'managed-identity' && signIn.auto?.passedOver).toEqual([
      'GitHub OIDC: this job cannot request a token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
      'workload identity: AZURE_FEDERATED_TOKEN_FILE names /nowhere/token, which does not exist'
    ])
  })
  it('auto does not ask the metadata service on a GitHub-hosted runner', () => {
    expect(read(noIdentity, { RUNNER_ENVIRONMENT: 'github-hosted' }).signIn).toMatchObject({
      method: 'managed-identity',
      auto: { probe: false }
    })
  })
  it('managed-identity needs neither tenant-id nor client-id, and takes a client ID for a user-assigned identity', () => {
    expect(read({ ...noIdentity, 'auth-type': 'managed-identity' }, {}).signIn).toMatchObject({
      method: 'managed-identity',
      clientId: undefined,
      tenantId: undefined,
      auto: undefined
    })
    expect(read({ 'auth-type': 'Managed-Identity' }, {}).signIn).toMatchObject({
      clientId: base['client-id'],
      clientIdFrom: 'client-id',
      tenantId: base['tenant-id']
    })
  })
  it('managed-identity holds only tenant-id itself against the identity, never AZURE_TENANT_ID', () => {
    expect(read({ ...noIdentity, 'auth-type': 'managed-identity' }, { AZURE_TENANT_ID: base['tenant-id'] }).signIn).toMatchObject({
      method: 'managed-identity',
      tenantId: undefined
    })
  })
  it('managed-identity asks the metadata service where the Azure SDK does', () => {
    expect(read({ 'auth-type': 'managed-identity' }, { AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.2:8080/' }).signIn).toMatchObject(
      { metadataHost: 'http://127.0.0.2:8080' }
    )
  })
  it('workload-identity without the webhook variables names what is missing', () => {
    expect(failure({ 'auth-type': 'workload-identity' }, {}).message).toContain('AZURE_FEDERATED_TOKEN_FILE is not set')
    const error = failure(
      { ...noIdentity, 'auth-type': 'workload-identity' },
      { AZURE_FEDERATED_TOKEN_FILE: tokenFile, AZURE_TENANT_ID: base['tenant-id'] }
    )
    expect([error.input, error.message]).toEqual(['client-id', expect.stringContaining('azure.workload.identity/client-id')])
  })
  it('oidc still needs tenant-id and client-id', () => {
    expect(failure({ 'auth-type': 'oidc', 'client-id': '' }, {}).input).toBe('client-id')
  })
  it('refuses an unknown way and an OIDC audience for another way', () => {
    expect(failure({ 'auth-type': 'service-principal' }).message).toContain("'service-principal' is not a way to sign in")
    expect(failure({ 'auth-type': 'managed-identity', audience: 'api://custom' }).input).toBe('audience')
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
