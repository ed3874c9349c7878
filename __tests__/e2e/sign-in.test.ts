import { beforeAll, describe, expect, it } from '@jest/globals'
import type { AddClusterInput, Cluster, ManagedIdentity, RunnerMachine, Twin, WorkloadIdentityPod } from '../../twin/index.ts'
import { decodeJwt } from '../../twin/jwt.ts'
import { errorAnnotation, type ActionRun } from './run-action.js'
import { AUDIENCE, baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

/**
 * Self-hosted runners sign in where they run: on an Azure VM with its managed identity (through
 * the twin's instance metadata service), or as a runner pod in AKS with Azure workload identity
 * (the cluster's OIDC issuer, a federated credential on the identity). Each run goes through
 * `dist/index.js` as the runner starts it.
 */
const NAMESPACE = 'arc-runners'
const SERVICE_ACCOUNT = 'runner'
const SUBJECT = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`
const AKS_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default'
const longAgo = () => new Date(Date.now() - 30 * 86_400_000).toISOString()

/** The AKS cluster the runner pods run in, and the identity their service account may sign in as. */
let runnersCluster: Cluster
let podIdentity: ManagedIdentity
/** A user-assigned identity attached to the runner VM. */
let vmIdentity: ManagedIdentity

beforeAll(() => {
  runnersCluster = twin.addCluster({
    subscriptionId: world.subscriptionId,
    resourceGroup: 'runners',
    name: 'runners-aks',
    identity: 'managedIdentity',
    workloadIdentity: true
  })
  podIdentity = twin.addManagedIdentity({
    subscriptionId: world.subscriptionId,
    resourceGroup: 'runners',
    name: 'arc-runner',
    federatedCredentials: [{ name: 'arc-runners', issuer: runnersCluster.oidcIssuerUrl!, subject: SUBJECT, audiences: [AUDIENCE] }]
  })
  vmIdentity = twin.addManagedIdentity({ subscriptionId: world.subscriptionId, resourceGroup: 'runners', name: 'runner-vm-id' })
  for (const identity of [podIdentity, vmIdentity]) owner(identity.objectId)
})

function owner(principalId: string): void {
  twin.addRoleAssignment({ scope: `/subscriptions/${world.subscriptionId}`, role: 'Owner', principalId, createdOn: longAgo() })
}

/** The runner VM, with a system-assigned identity (an Owner, like the others) and the user-assigned one. */
function onRunnerVm(): RunnerMachine {
  const machine = twin.setRunnerMachine({
    subscriptionId: world.subscriptionId,
    resourceGroup: 'runners',
    name: 'runner-vm',
    systemAssigned: true,
    userAssigned: [vmIdentity]
  })
  owner(machine.systemAssigned!.objectId)
  return machine
}

function runnerPod(serviceAccount = SERVICE_ACCOUNT, cluster = runnersCluster, clientId = podIdentity.clientId): WorkloadIdentityPod {
  return twin.workloadIdentityPod(cluster, { namespace: NAMESPACE, serviceAccount, clientId })
}

/** A self-hosted runner's environment: no GitHub token (the job lacks id-token: write), plain-http proxying set as corporate networks do. */
function selfHosted(extra: Record<string, string> = {}): Record<string, string> {
  return {
    ACTIONS_ID_TOKEN_REQUEST_URL: '',
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: '',
    RUNNER_ENVIRONMENT: 'self-hosted',
    HTTP_PROXY: twin.proxyUrl,
    ...extra
  }
}

/** attach and deploy of a fresh cluster and registry, with the identity inputs left to the identity source. */
function attachAndDeploy(extra: Record<string, string>) {
  const { cluster, registry } = freshPair(world)
  twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
  const workspace = workspaceWith({ 'k8s/app.yaml': deployment('app', `${registry.loginServer}/nginx:v1`) })
  const inputs: Record<string, string> = {
    ...baseInputs(world, cluster, registry.name),
    mode: 'attach, deploy',
    manifests: 'k8s',
    ...extra
  }
  for (const [name, value] of Object.entries(inputs)) if (value === '') delete inputs[name]
  return { cluster, registry, inputs, env: { GITHUB_WORKSPACE: workspace } }
}

const withoutIdentityInputs = { 'tenant-id': '', 'client-id': '' }

/** Every ARM request of the run carried a token of `objectId`, and attach's assignment names it as creator. */
function expectSignedInAs(result: ActionRun, since: number, objectId: string, registryId: string, pullPrincipalId: string): void {
  expect([result.exitCode, result.outputs.ready]).toEqual([0, 'true'])
  const arm = requestsSince(world, since).filter((r) => r.tokenOid !== undefined && /^\/subscriptions\//i.test(r.path))
  expect(arm.length).toBeGreaterThan(0)
  expect(new Set(arm.map((r) => r.tokenOid))).toEqual(new Set([objectId]))
  expect(twin.roleAssignments({ scope: registryId, principalId: pullPrincipalId }).map((a) => a.createdBy)).toEqual([objectId])
}

describe('each auth-type signs in, attaches and deploys', () => {
  it('oidc: the GitHub token of the job', async () => {
    const { cluster, registry, inputs, env } = attachAndDeploy({ 'auth-type': 'oidc' })
    const since = twin.requests.length
    const result = await run(world, inputs, env)
    expectSignedInAs(result, since, world.callerObjectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain('Signing in with GitHub OIDC: auth-type is oidc')
    expect(result.summary).toContain(
      `| Signed in as | client \`${world.clientId}\` (object ID \`${world.callerObjectId}\`) with GitHub OIDC as \`repo:octo-org/octo-app:ref:refs/heads/main\``
    )
    expectNoSecrets(result)
  })

  it("managed-identity: a user-assigned identity of the runner's VM, through the metadata service and never its proxy", async () => {
    onRunnerVm()
    const { cluster, registry, inputs, env } = attachAndDeploy({
      ...withoutIdentityInputs,
      'auth-type': 'managed-identity',
      'client-id': vmIdentity.clientId
    })
    const since = twin.requests.length
    const proxied = twin.proxyLog.length
    const result = await run(world, inputs, selfHosted(env))
    expectSignedInAs(result, since, vmIdentity.objectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain('Signing in with managed identity: auth-type is managed-identity')
    expect(result.summary).toContain(
      `| Signed in as | the user-assigned managed identity \`runner-vm-id\` (client \`${vmIdentity.clientId}\`, object ID \`${vmIdentity.objectId}\`) through the instance metadata service in tenant \`${world.tenantId}\``
    )
    const metadata = requestsSince(world, since).filter((r) => r.host === '127.0.0.2')
    // The probe (no Metadata header: 400), then one token for ARM; the registry takes the ARM token.
    expect(metadata.map((r) => [r.path, r.status, r.query.client_id, r.via])).toEqual([
      ['/metadata/identity/oauth2/token', 400, undefined, 'direct'],
      ['/metadata/identity/oauth2/token/', 200, vmIdentity.clientId, 'direct']
    ])
    expect(twin.proxyLog.slice(proxied).filter((entry) => entry.target.includes('127.0.0.2'))).toEqual([])
    expectNoSecrets(result)
  })

  it("managed-identity means the machine's identity even where the workload identity webhook set its variables", async () => {
    const machine = onRunnerVm()
    const pod = runnerPod()
    const { cluster, registry, inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity' })
    const since = twin.requests.length
    const exchanges = twin.exchanges.length
    // AZURE_CLIENT_ID names the pod's identity, so it is set as the input: the VM's system-assigned one is wanted.
    const result = await run(world, { ...inputs, 'client-id': machine.systemAssigned!.clientId }, selfHosted({ ...env, ...pod.env }))
    expectSignedInAs(result, since, machine.systemAssigned!.objectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain(
      `AZURE_FEDERATED_TOKEN_FILE is set (${pod.env.AZURE_FEDERATED_TOKEN_FILE}), but the action signs in with the managed identity: the token file is not used`
    )
    expect(twin.exchanges.slice(exchanges)).toEqual([])
    expectNoSecrets(result, [pod.token])
  })

  it("workload-identity: the runner pod's service account token, with what the webhook set", async () => {
    const pod = runnerPod()
    const { cluster, registry, inputs, env } = attachAndDeploy({
      ...withoutIdentityInputs,
      'auth-type': 'workload-identity',
      'authority-host': ''
    })
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted({ ...env, ...pod.env }))
    expectSignedInAs(result, since, podIdentity.objectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain('Signing in with workload identity: auth-type is workload-identity')
    expect(result.summary).toContain(
      `| Signed in as | client \`${podIdentity.clientId}\` (object ID \`${podIdentity.objectId}\`) with workload identity as service account \`${NAMESPACE}/${SERVICE_ACCOUNT}\``
    )
    expectNoSecrets(result, [pod.token])
  })
})

describe('auto chooses in turn', () => {
  it('GitHub OIDC when the job can request a token, even in a workload identity pod on a VM with an identity', async () => {
    onRunnerVm()
    const pod = runnerPod()
    const { cluster, registry, inputs, env } = attachAndDeploy({})
    const since = twin.requests.length
    const result = await run(world, inputs, { ...env, ...pod.env, RUNNER_ENVIRONMENT: 'self-hosted' })
    expectSignedInAs(result, since, world.callerObjectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain('Signing in with GitHub OIDC: auth-type is auto and this job can request a GitHub OIDC token')
    expect(requestsSince(world, since).filter((r) => r.host === '127.0.0.2')).toEqual([])
  })

  it("workload identity when the token file is there, before the VM's identity", async () => {
    onRunnerVm()
    const pod = runnerPod()
    const { cluster, registry, inputs, env } = attachAndDeploy(withoutIdentityInputs)
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted({ ...env, ...pod.env }))
    expectSignedInAs(result, since, podIdentity.objectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain(
      `Signing in with workload identity: auth-type is auto, this job cannot request a GitHub OIDC token, and AZURE_FEDERATED_TOKEN_FILE names a token file (${pod.tokenFile})`
    )
    expect(requestsSince(world, since).filter((r) => r.host === '127.0.0.2')).toEqual([])
    expectNoSecrets(result, [pod.token])
  })

  it("the managed identity when the metadata service answers: the VM's system-assigned one", async () => {
    const machine = onRunnerVm()
    const { cluster, registry, inputs, env } = attachAndDeploy(withoutIdentityInputs)
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted(env))
    expectSignedInAs(result, since, machine.systemAssigned!.objectId, registry.id, cluster.pullPrincipalId)
    expect(result.log).toContain(
      'Signing in with managed identity: auth-type is auto, this job cannot request a GitHub OIDC token and has no workload identity token file, and the instance metadata service answered'
    )
    expect(result.log).toMatch(/^::group::Sign in to Azure$/m)
    expect(result.summary).toContain('the system-assigned managed identity of VM `runner-vm`')
    expectNoSecrets(result)
  })
})

describe('a rotated token file', () => {
  it('is read again for a later exchange: the cluster token of an Entra ID cluster presents the new one', async () => {
    const pod = runnerPod()
    const first = String(decodeJwt(pod.token)!.payload.jti)
    let second: string | undefined
    // The kubelet rotates the file right after the first exchange, before Entra answers it.
    const stop = twin.onExchange((exchange) => {
      if (second === undefined && exchange.clientId === podIdentity.clientId && exchange.status === 200)
        second = String(decodeJwt(pod.rotate())!.payload.jti)
    })
    const { cluster, inputs, env } = attachAndDeployOn({ aad: true })
    cluster.kube.grant(podIdentity.objectId, 'cluster-admin')
    const since = twin.exchanges.length
    const result = await run(
      world,
      { ...inputs, ...withoutIdentityInputs, 'auth-type': 'workload-identity' },
      selfHosted({ ...env, ...pod.env })
    )
    stop()
    expect([result.exitCode, result.outputs.ready]).toEqual([0, 'true'])
    const exchanges = twin.exchanges.slice(since).filter((e) => e.clientId === podIdentity.clientId)
    expect(exchanges.map((e) => [e.scope.split(' ').find((s) => s.endsWith('/.default')), e.jti, e.status])).toEqual([
      ['https://management.core.windows.net//.default', first, 200],
      [AKS_SCOPE, second, 200]
    ])
    expect(second).not.toBe(first)
    expectNoSecrets(result, [pod.token])
  })
})

/** attach and deploy on a fresh cluster with these settings (an Entra ID cluster, say). */
function attachAndDeployOn(clusterSettings: Partial<AddClusterInput>) {
  const { cluster, registry } = freshPair(world, { cluster: clusterSettings })
  twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
  const workspace = workspaceWith({ 'k8s/app.yaml': deployment('app', `${registry.loginServer}/nginx:v1`) })
  const inputs: Record<string, string> = { ...baseInputs(world, cluster, registry.name), mode: 'attach, deploy', manifests: 'k8s' }
  return { cluster, registry, inputs, env: { GITHUB_WORKSPACE: workspace } }
}

describe('each failure names its fix', () => {
  it('a VM without any managed identity', async () => {
    twin.setRunnerMachine({ subscriptionId: world.subscriptionId, resourceGroup: 'runners', name: 'bare-vm' })
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity' })
    const result = await run(world, inputs, selfHosted(env))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(
      'This machine has no managed identity. invalid_request: the instance metadata service answered: Identity not found'
    )
    expect(message).toContain('az vm identity assign --resource-group <group> --name <vm>')
    expect(result.summary).toContain('| Sign-in | managed identity, not completed |')
    expectNoSecrets(result)
  })

  it('a user-assigned client ID that is not attached to the VM', async () => {
    onRunnerVm()
    const stranger = twin.addManagedIdentity({ subscriptionId: world.subscriptionId, resourceGroup: 'runners', name: 'elsewhere' })
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity' })
    const result = await run(world, inputs, selfHosted({ ...env, AZURE_CLIENT_ID: stranger.clientId }))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(
      `The user-assigned managed identity with client ID ${stranger.clientId} (from AZURE_CLIENT_ID) is not attached to this machine`
    )
    expect(message).toContain('--identities <identity resource ID>')
  })

  it("a tenant-id that is not the managed identity's tenant", async () => {
    onRunnerVm()
    const elsewhere = '0f1e2d3c-4b5a-4969-8778-695a4b3c2d1e'
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity', 'tenant-id': elsewhere })
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted(env))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain(
      `The managed identity belongs to tenant ${world.tenantId}, not to tenant-id ${elsewhere}. Remove 'tenant-id'`
    )
    expect(requestsSince(world, since).filter((r) => /^\/subscriptions\//i.test(r.path))).toEqual([])
  })

  it('managed-identity off Azure: the metadata service does not answer', async () => {
    twin.state.runnerMachine = undefined
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity' })
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted(env))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`The instance metadata service at ${twin.imdsUrl} did not answer`)
    expect(message).toContain('NoAnswer')
    expect(message).toContain('auth-type: workload-identity')
    expect(requestsSince(world, since)).toEqual([])
  })

  it("managed-identity on another cloud's VM: its metadata service answers, but not as Azure's", async () => {
    twin.state.runnerMachine = undefined
    twin.state.foreignMetadataService = true
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'managed-identity' })
    const since = twin.requests.length
    let result
    try {
      result = await run(world, inputs, selfHosted(env))
    } finally {
      twin.state.foreignMetadataService = false
    }
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`The service at ${twin.imdsUrl} is not Azure's instance metadata service`)
    expect(message).toContain('HTTP 404')
    expect(requestsSince(world, since)).toEqual([])
  })

  it("auto on another cloud's VM does not take its metadata service for Azure's", async () => {
    twin.state.runnerMachine = undefined
    twin.state.foreignMetadataService = true
    const { inputs, env } = attachAndDeploy(withoutIdentityInputs)
    let result
    try {
      result = await run(world, inputs, selfHosted(env))
    } finally {
      twin.state.foreignMetadataService = false
    }
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('No way to sign in to Azure was found on this runner (auth-type is auto)')
    expect(message).toContain("answered HTTP 404, not as Azure's instance metadata service does")
  })

  it("a service account without a federated credential: the subject to add, with the cluster's issuer", async () => {
    const pod = runnerPod('builder')
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'workload-identity' })
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted({ ...env, ...pod.env }))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('AADSTS70021')
    expect(message).toContain(
      `The service account token presented issuer '${runnersCluster.oidcIssuerUrl}', subject 'system:serviceaccount:${NAMESPACE}:builder', audience '${AUDIENCE}'`
    )
    expect(message).toContain(
      `az identity federated-credential create --name ${NAMESPACE}-builder --identity-name <identity> --resource-group <group> --issuer '${runnersCluster.oidcIssuerUrl}' --subject 'system:serviceaccount:${NAMESPACE}:builder' --audiences '${AUDIENCE}'`
    )
    expect(requestsSince(world, since).filter((r) => /^\/subscriptions\//i.test(r.path))).toEqual([])
    expectNoSecrets(result, [pod.token])
  })

  it("a runner pod in another cluster: Entra names the issuer, the action names the cluster's issuer URL", async () => {
    const other = twin.addCluster({
      subscriptionId: world.subscriptionId,
      resourceGroup: 'runners',
      name: 'other-aks',
      identity: 'managedIdentity',
      workloadIdentity: true
    })
    const pod = runnerPod(SERVICE_ACCOUNT, other)
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'workload-identity' })
    twin.state.ficErrorStyle = 'specific'
    const result = await run(world, inputs, selfHosted({ ...env, ...pod.env }))
    twin.state.ficErrorStyle = 'legacy'
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`AADSTS700211: No federated credential of ${podIdentity.clientId} trusts the issuer '${other.oidcIssuerUrl}'`)
    expect(message).toContain('az aks show --query oidcIssuerProfile.issuerUrl')
    expect(message).toContain(`--issuer '${other.oidcIssuerUrl}' --subject '${SUBJECT}'`)
    expectNoSecrets(result, [pod.token])
  })

  it('workload-identity in a pod the webhook never touched is refused before any request', async () => {
    const { inputs, env } = attachAndDeploy({ ...withoutIdentityInputs, 'auth-type': 'workload-identity' })
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted(env))
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Input 'auth-type': is workload-identity, but AZURE_FEDERATED_TOKEN_FILE is not set")
    expect(requestsSince(world, since)).toEqual([])
  })

  it('auto with nothing to sign in with explains all three ways and how to enable each', async () => {
    twin.state.runnerMachine = undefined
    const { inputs, env } = attachAndDeploy(withoutIdentityInputs)
    const since = twin.requests.length
    const result = await run(world, inputs, selfHosted(env))
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('No way to sign in to Azure was found on this runner (auth-type is auto)')
    expect(message).toContain('GitHub OIDC: this job cannot request a token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)')
    expect(message).toContain('workload identity: AZURE_FEDERATED_TOKEN_FILE is not set')
    expect(message).toContain(
      `managed identity: the instance metadata service at ${twin.imdsUrl} could not be reached: it did not answer (no answer within 1 s)`
    )
    expect(message).toContain('permissions: id-token: write')
    expect(message).toContain('azure.workload.identity/client-id')
    expect(message).toContain('az vm identity assign')
    // The summary names no way as tried: auto found none.
    expect(result.summary).toContain('| Sign-in | auth-type auto: no way to sign in completed |')
    expect(result.log).toMatch(/^::group::Sign in to Azure$/m)
    expect(requestsSince(world, since)).toEqual([])
  })
})
