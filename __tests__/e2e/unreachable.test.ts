import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

function deployTo(pair: ReturnType<typeof freshPair>, extra: Record<string, string> = {}) {
  const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 }) })
  return run(
    world,
    { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'deploy', manifests: 'k8s', ...extra },
    { GITHUB_WORKSPACE: workspace }
  )
}

/** Every run still ends in a report: outputs and a summary, whatever failed. */
function expectReport(result: Awaited<ReturnType<typeof deployTo>>) {
  expect(result.outputs.ready).toBe('false')
  expect(result.outputs['registry-id']).not.toBe('')
  expect(result.summary).toContain('### Error')
}

describe('an API server the runner cannot reach', () => {
  it('names the private cluster when its private name does not resolve from the runner (cluster-access: direct)', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true } })
    const since = twin.requests.length
    const result = await deployTo(pair, { 'cluster-access': 'direct' })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`Could not reach the API server of AKS cluster '${pair.cluster.name}' at ${pair.cluster.privateFqdn}`)
    expect(message).toContain('The cluster is private (apiServerAccessProfile.enablePrivateCluster)')
    expect(message).toContain('self-hosted runner in that virtual network')
    expect(message).not.toMatch(/ENOTFOUND|ERR_PROXY_TUNNEL|\n\s+at /)
    // Nothing reached the API server.
    expect(requestsSince(world, since).filter((r) => r.host === pair.cluster.fqdn)).toEqual([])
    expectReport(result)
  })

  it('names the authorized IP ranges when connections are dropped, after the connect deadline (cluster-access: direct)', async () => {
    const pair = freshPair(world, { cluster: { authorizedIpRanges: ['203.0.113.0/24', '198.51.100.7/32'] } })
    const result = await deployTo(pair, { 'cluster-access': 'direct' })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`Could not reach the API server of AKS cluster '${pair.cluster.name}' at ${pair.cluster.fqdn}`)
    expect(message).toContain('ConnectTimeout: no connection could be made')
    expect(message).toContain('authorized IP ranges (apiServerAccessProfile.authorizedIPRanges: 203.0.113.0/24, 198.51.100.7/32)')
    expectReport(result)
  }, 40_000)

  it('reaches the API server of a private cluster from a runner inside its network', async () => {
    const pair = freshPair(world, { cluster: { privateCluster: true, runnerInNetwork: true } })
    const result = await deployTo(pair)
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
  })

  it('ends an apply the API server never answers at the answer deadline, naming the server', async () => {
    const pair = freshPair(world)
    twin.inject({ host: pair.cluster.fqdn, method: 'PATCH', path: '/deployments/web', action: 'hang' })
    const result = await deployTo(pair)
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`Could not reach the API server of AKS cluster '${pair.cluster.name}' at ${pair.cluster.fqdn}`)
    expect(message).toMatch(/NoAnswer: it did not answer \(no answer within 20(\.\d)? s\)/)
    expectReport(result)
  }, 45_000)
})

describe('a request that fails inside rollout verification', () => {
  it('ends in the report (exit 1, outputs and summary), not in an unhandled rejection', async () => {
    const pair = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 }) })
    // Every attempt to follow the Deployment, retries included, is reset after the apply went through.
    twin.inject({
      host: pair.cluster.fqdn,
      method: 'GET',
      path: '/apis/apps/v1/namespaces/default/deployments',
      action: 'reset',
      times: 20
    })
    const result = await run(
      world,
      { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'deploy', manifests: 'k8s' },
      { GITHUB_WORKSPACE: workspace }
    )
    twin.clearFaults()
    expect(result.exitCode).toBe(1)
    expect(result.log).not.toMatch(/UnhandledPromiseRejection|unhandled/i)
    const message = errorAnnotation(result.log)
    expect(message).toContain('Could not watch the rollout')
    expect(message).toContain(`the connection was reset`)
    expect(JSON.parse(result.outputs.deployed!)).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web', ready: false })])
    expect(result.summary).toContain('| Deployment/web |')
  })
})
