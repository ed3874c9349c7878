import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, freshRegistry, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

function deployInputs(pair: ReturnType<typeof freshPair>, extra: Record<string, string> = {}) {
  return { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'deploy', manifests: 'k8s', ...extra }
}

const helloWorld = (name: string, replicas = 1) =>
  workspaceWith({ 'k8s/app.yaml': deployment(name, 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas }) })

describe('long runs', () => {
  it('a rollout longer than the cluster token lives renews the token and reaches ready', async () => {
    const pair = freshPair(world, { cluster: { aad: true } })
    pair.cluster.kube.grant(world.callerObjectId, 'cluster-admin')
    // Tokens for four seconds, pulls that take six, and watches the server ends every second and a half.
    twin.state.tokenLifetimeSeconds = 4
    pair.cluster.kube.knobs.pullMs = 6000
    pair.cluster.kube.knobs.watchTimeoutMs = 1500
    const since = twin.requests.length
    let result
    try {
      result = await run(world, deployInputs(pair), { GITHUB_WORKSPACE: helloWorld('slow') })
    } finally {
      twin.state.tokenLifetimeSeconds = 3600
    }
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    const kube = requestsSince(world, since).filter((r) => r.host === pair.cluster.fqdn)
    const first = Date.parse(kube[0]!.time)
    // The API server was still answering the run well after its first token had expired.
    expect(kube.some((r) => r.status === 200 && Date.parse(r.time) - first > 5000)).toBe(true)
    expectNoSecrets(result)
  }, 60_000)
})

describe('faults the action retries through, as kubectl and the Azure SDK do', () => {
  it("one 500 from the runner's OIDC endpoint", async () => {
    const pair = freshPair(world)
    twin.inject({ host: '127.0.0.1', path: '/github/_apis/idtoken', status: 500, body: { message: 'Internal error' } })
    const result = await run(world, baseInputs(world, pair.cluster, pair.registry.name))
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('Retrying the GitHub OIDC token request')
    expect(result.log).toContain('HTTP 500')
  })

  it('a 429 with Retry-After to the apply, a 500 to a list, and a 500 to a watch', async () => {
    const pair = freshPair(world)
    const host = pair.cluster.fqdn
    twin.inject({
      host,
      method: 'PATCH',
      path: '/deployments/steady',
      status: 429,
      headers: { 'Retry-After': '1' },
      body: { kind: 'Status', code: 429, reason: 'TooManyRequests', message: 'Too many requests, please try again later.' }
    })
    twin.inject({
      host,
      method: 'GET',
      path: '/apis/apps/v1/namespaces/default/deployments',
      query: { watch: '1' },
      status: 500,
      body: { kind: 'Status', code: 500, message: 'etcdserver: leader changed' }
    })
    twin.inject({
      host,
      method: 'GET',
      path: '/api/v1/namespaces/default/pods',
      status: 500,
      body: { kind: 'Status', code: 500, message: 'etcdserver: request timed out' }
    })
    const since = twin.requests.length
    const result = await run(world, deployInputs(pair), { GITHUB_WORKSPACE: helloWorld('steady') })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    const faults = requestsSince(world, since).filter((r) => r.fault)
    expect(faults.map((r) => r.status).sort()).toEqual([429, 500, 500])
    expect(result.log).toMatch(/Retrying PATCH .*\/deployments\/steady in \d\.\d s \(attempt 2\): HTTP 429 with Retry-After/)
    expect(result.log).toMatch(/Retrying WATCH .*deployments .*HTTP 500/)
  })

  it('a watch stream that breaks mid-rollout is resumed from its last version', async () => {
    const pair = freshPair(world)
    twin.inject({
      host: pair.cluster.fqdn,
      method: 'GET',
      path: '/apis/apps/v1/namespaces/default/deployments',
      query: { watch: '1' },
      action: 'end-stream',
      delayMs: 100,
      times: 2
    })
    const result = await run(world, deployInputs(pair), { GITHUB_WORKSPACE: helloWorld('resumed', 2) })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
  })

  it('a connection reset by Docker Hub while reading the source', async () => {
    const registry = freshRegistry(world)
    twin.inject({ host: 'registry-1.docker.io', path: '/v2/library/nginx/manifests/', action: 'reset' })
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, undefined, registry.name), mode: 'import', images: 'nginx:1.27 => nginx:1.27' })
    expect(result.exitCode).toBe(0)
    expect(requestsSince(world, since).filter((r) => r.fault)).toHaveLength(1)
    expect(twin.tagDigest(registry.loginServer, 'nginx', '1.27')).toBe(twin.tagDigest('docker.io', 'library/nginx', '1.27'))
  })

  it("a role assignment PUT whose answer was lost counts as this run's creation", async () => {
    const pair = freshPair(world)
    twin.inject({ method: 'PUT', path: '/providers/Microsoft.Authorization/roleAssignments/', action: 'drop' })
    const since = twin.requests.length
    const result = await run(world, baseInputs(world, pair.cluster, pair.registry.name))
    expect(result.exitCode).toBe(0)
    // ARM carried the first PUT out; the SDK's retry met 409 RoleAssignmentExists.
    const puts = requestsSince(world, since).filter((r) => r.method === 'PUT')
    expect(puts.map((r) => r.status)).toEqual([0, 409])
    expect(result.outputs.changed).toBe('true')
    expect(result.summary).toContain('✅ created')
    expect(twin.roleAssignments({ scope: pair.registry.id, principalId: pair.cluster.pullPrincipalId })).toHaveLength(1)
  })
})

describe('a lost answer to an import', () => {
  it("counts the import as done when the SDK's resend finds the tag already holding the source digest", async () => {
    const registry = freshRegistry(world)
    twin.inject({ method: 'POST', path: '/importImage', action: 'drop' })
    const since = twin.requests.length
    const result = await run(world, {
      ...baseInputs(world, undefined, registry.name),
      mode: 'import',
      images: 'docker.io/library/nginx:latest => nginx:v1'
    })
    expect(result.exitCode).toBe(0)
    const posts = requestsSince(world, since).filter((r) => r.method === 'POST' && /\/importImage$/i.test(r.path))
    // ACR carried the first POST out; the SDK's resend was refused because the tag existed.
    expect(posts[0]!.fault).toBeTruthy()
    expect(posts.length).toBeGreaterThanOrEqual(2)
    const nginx = twin.tagDigest('docker.io', 'library/nginx', 'latest')
    expect(JSON.parse(result.outputs.images!)).toEqual([
      { source: 'docker.io/library/nginx:latest', target: `${registry.loginServer}/nginx:v1`, digest: nginx, changed: true }
    ])
    expect(result.log).toContain('ACR answered that the tag already exists, and it holds that digest')
  })
})

describe('clear failures where retrying cannot help', () => {
  it('an OIDC endpoint that keeps failing is not blamed on the permissions', async () => {
    const pair = freshPair(world)
    twin.inject({ host: '127.0.0.1', path: '/github/_apis/idtoken', status: 503, body: { message: 'Service Unavailable' }, times: 10 })
    const result = await run(world, baseInputs(world, pair.cluster, pair.registry.name))
    twin.clearFaults()
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain("GitHub's OIDC endpoint answered HTTP 503: Service Unavailable")
    expect(message).not.toContain('id-token: write')
  })

  it('a refused OIDC request points at the permissions', async () => {
    const pair = freshPair(world)
    const result = await run(world, baseInputs(world, pair.cluster, pair.registry.name), {
      ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-a-token-the-runner-issued'
    })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('HTTP 401')
    expect(message).toContain('id-token: write')
  })
})
