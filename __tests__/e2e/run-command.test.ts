import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const SEED = readFileSync(join(import.meta.dirname, 'fixtures/acr-nginx.yaml'), 'utf8')
type Pair = ReturnType<typeof freshPair>

const runCommands = (since: number) => requestsSince(world, since).filter((r) => r.method === 'POST' && /\/runCommand$/i.test(r.path))
/** What the command pods' kubectl sent to the API server (the twin serves it too). */
const clusterWrites = (pair: Pair, since: number) =>
  requestsSince(world, since).filter((r) => r.host === pair.cluster.fqdn && ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method))

function deployInputs(pair: Pair, extra: Record<string, string> = {}) {
  return { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'deploy', manifests: 'k8s', ...extra }
}

describe('a private cluster, through the AKS run-command API', () => {
  it('runs the seed (attach, import, deploy) to ready in at most three command pods', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    const since = twin.requests.length
    const result = await run(
      world,
      { ...deployInputs(pair), mode: 'attach, import, deploy', images: 'docker.io/library/nginx:latest => nginx:v1' },
      { GITHUB_WORKSPACE: workspaceWith({ 'k8s/acr-nginx.yaml': SEED }) }
    )
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expect(JSON.parse(result.outputs.deployed!)).toEqual([
      { kind: 'Deployment', namespace: 'default', name: 'nginx0-deployment', ready: true, replicas: { ready: 2, desired: 2 } }
    ])
    expect(runCommands(since).length).toBeGreaterThanOrEqual(2)
    expect(runCommands(since).length).toBeLessThanOrEqual(3)
    // The runner never reached the API server: every request it served came from a command pod.
    const served = requestsSince(world, since).filter((r) => r.host === pair.cluster.fqdn)
    expect(served.length).toBeGreaterThan(0)
    expect(served.filter((r) => r.via !== 'cluster')).toEqual([])
    expect(result.log).toContain('Reaching the cluster through the AKS run-command API: the private API server is out of the runner')
    expect(result.summary).toContain('Reached the cluster through the AKS run-command API')
    expectNoSecrets(result)
  }, 90_000)

  it('fails within one polling round of the first pull error, with the same diagnosis as a direct connection', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    twin.addImage(pair.registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), { GITHUB_WORKSPACE: workspaceWith({ 'k8s/acr-nginx.yaml': SEED }) })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('Rollout of deployment/nginx0-deployment failed fast')
    expect(message).toContain(
      `the kubelet identity ${pair.cluster.pullPrincipalId} of cluster ${pair.cluster.name} has no AcrPull on ${pair.registry.name}`
    )
    expect(message).toContain('401 Unauthorized')
    // The apply, then polling rounds up to the one that saw the pod stuck; no pod was started after it.
    const commands = runCommands(since)
    // firstTimestamp has whole seconds; the recorder's name carries the event's UnixNano (in hex).
    const pullErrors = pair.cluster.kube
      .list('Event', 'default')
      .filter((e: any) => e.reason === 'Failed')
      .map((e: any) => Number(BigInt(`0x${String(e.metadata.name).split('.').pop()}`) / 1_000_000n))
    expect(pullErrors.length).toBeGreaterThan(0)
    expect(commands.filter((c) => Date.parse(c.time) > Math.min(...pullErrors)).length).toBeLessThanOrEqual(1)
  }, 90_000)

  it('runs as the signed-in identity on an Entra ID cluster (clusterToken), under its Kubernetes RBAC', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true, aad: true } })
    const refused = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(refused.exitCode).toBe(1)
    expect(errorAnnotation(refused.log)).toContain('Forbidden')
    expect(errorAnnotation(refused.log)).toContain(world.callerObjectId)
    pair.cluster.kube.grant(world.callerObjectId, 'cluster-admin')
    const allowed = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(allowed.exitCode).toBe(0)
    expect(allowed.outputs.ready).toBe('true')
  }, 90_000)

  it('sends only dry-run writes with dry-run: true', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair, { 'dry-run': 'true', namespace: 'apps' }), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(result.exitCode).toBe(0)
    expect(runCommands(since).length).toBeGreaterThan(0)
    const writes = clusterWrites(pair, since)
    expect(writes.length).toBeGreaterThan(0)
    expect(writes.filter((w) => w.query.dryRun !== 'All')).toEqual([])
    expect(pair.cluster.kube.get('Namespace', undefined, 'apps')).toBeUndefined()
    expect(result.summary).toContain('server dry run')
  }, 90_000)

  it('rolls a failed Deployment back with rollback-on-failure', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    const good = deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
    expect((await run(world, deployInputs(pair), { GITHUB_WORKSPACE: workspaceWith({ 'k8s/app.yaml': good }) })).exitCode).toBe(0)
    const bad = deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v999', { replicas: 1 })
    const result = await run(world, deployInputs(pair, { 'rollback-on-failure': 'true' }), {
      GITHUB_WORKSPACE: workspaceWith({ 'k8s/app.yaml': bad })
    })
    expect(result.exitCode).toBe(1)
    expect(result.summary).toContain('#### Rollback')
    expect(result.summary).toContain('deployment/web: deployment.apps/web rolled back')
    const live = pair.cluster.kube.get('Deployment', 'default', 'web') as any
    expect(live.spec.template.spec.containers[0].image).toBe('mcr.microsoft.com/azuredocs/aks-helloworld:v1')
  }, 120_000)

  it('says so when the cluster disables run command', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true, disableRunCommand: true } })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({ 'k8s/app.yaml': deployment('web', 'nginx', { replicas: 1 }) })
    })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('disables run command')
    expect(message).toContain("self-hosted runner in the cluster's network")
    expect(runCommands(since)).toEqual([])
  }, 40_000)
})

describe('check-pull on a private cluster', () => {
  it('proves the pull with a probe pod created, followed and deleted through run command', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    twin.addImage(pair.registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    twin.addRoleAssignment({
      scope: pair.registry.id,
      role: 'AcrPull',
      principalId: pair.cluster.pullPrincipalId,
      createdOn: new Date(Date.now() - 86_400_000).toISOString()
    })
    const since = twin.requests.length
    const result = await run(world, {
      ...baseInputs(world, pair.cluster, pair.registry.name),
      mode: 'check',
      'check-pull': 'true',
      'check-image': 'nginx:v1'
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['can-pull']).toBe('true')
    const pull = (JSON.parse(result.outputs.reasons!) as Array<{ check: string; ok: unknown; detail: string }>).find(
      (r) => r.check === 'pull'
    )!
    expect(pull).toMatchObject({ ok: true })
    expect(runCommands(since).length).toBeGreaterThanOrEqual(3)
    expect(
      pair.cluster.kube
        .list('Pod', 'default')
        .filter((p: any) => p.metadata.name.startsWith('aks-acr-check-') && !p.metadata.deletionTimestamp)
    ).toEqual([])
  }, 90_000)
})

describe('run command under faults', () => {
  const probeInputs = (pair: Pair) => ({
    ...baseInputs(world, pair.cluster, pair.registry.name),
    mode: 'check',
    'check-pull': 'true',
    'check-image': 'nginx:v1'
  })
  const arrange = () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    twin.addImage(pair.registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    twin.addRoleAssignment({
      scope: pair.registry.id,
      role: 'AcrPull',
      principalId: pair.cluster.pullPrincipalId,
      createdOn: new Date(Date.now() - 86_400_000).toISOString()
    })
    return pair
  }

  it('does not send a command that must not run twice again after a 500, and says it may have run', async () => {
    const pair = arrange()
    const since = twin.requests.length
    // The probe pod's create is the first command of a check-pull.
    twin.inject({
      method: 'POST',
      path: '/runCommand',
      status: 500,
      body: { error: { code: 'InternalServerError', message: 'Internal error' } }
    })
    const result = await run(world, probeInputs(pair))
    expect(result.exitCode).toBe(0)
    // The create was not sent again; the one command after it deletes a pod the first may have made.
    expect(runCommands(since).map((r) => Boolean(r.fault))).toEqual([true, false])
    expect(clusterWrites(pair, since).map((r) => `${r.method} ${r.path}`)).toEqual([
      expect.stringMatching(/^DELETE \/api\/v1\/namespaces\/default\/pods\/aks-acr-check-/)
    ])
    const pull = (JSON.parse(result.outputs.reasons!) as Array<{ check: string; ok: unknown; detail: string }>).find(
      (r) => r.check === 'pull'
    )
    expect(pull).toMatchObject({ ok: 'unknown' })
    expect(pull!.detail).toContain('failed before AKS said whether it ran the command')
    expect(pull!.detail).toContain('InternalServerError')
    expect(result.outputs['can-pull']).toBe('unknown')
  }, 60_000)

  it('retries a poll for the result of a command that must not run twice', async () => {
    const pair = arrange()
    const since = twin.requests.length
    twin.inject({
      method: 'GET',
      path: '/commandResults/',
      status: 500,
      body: { error: { code: 'InternalServerError', message: 'Internal error' } }
    })
    const result = await run(world, probeInputs(pair))
    expect(result.exitCode).toBe(0)
    expect(requestsSince(world, since).filter((r) => r.fault)).toHaveLength(1)
    expect(result.outputs['can-pull']).toBe('true')
  }, 90_000)
})

describe('cluster-access: auto', () => {
  it('turns to run command when authorized IP ranges leave the runner out', async () => {
    const pair = freshPair(world, { cluster: { authorizedIpRanges: ['203.0.113.0/24'] } })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expect(runCommands(since).length).toBeGreaterThan(0)
    expect(result.log).toContain('the IP-restricted API server is out of the runner')
  }, 90_000)

  it('turns to run command when the identity may not fetch the kubeconfig of a private cluster', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    const refused = {
      error: {
        code: 'AuthorizationFailed',
        message:
          'The client does not have authorization to perform action Microsoft.ContainerService/managedClusters/listClusterUserCredential/action'
      }
    }
    twin.inject({ method: 'POST', path: '/listClusterUserCredential', status: 403, body: refused })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expect(runCommands(since).length).toBeGreaterThan(0)
    expect(result.log).toMatch(/no kubeconfig for the private API server \(.*AuthorizationFailed/)
  }, 90_000)

  it('goes straight to a private API server the runner can reach, with no run-command call at all', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true, runnerInNetwork: true } })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
      })
    })
    expect(result.exitCode).toBe(0)
    expect(runCommands(since)).toEqual([])
    expect(result.log).toContain('the runner reaches the private API server')
  })
})
