import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import http from 'node:http'
import https from 'node:https'
import { createContainerService } from '@azure/arm-containerservice/api'
import { get as getCluster } from '@azure/arm-containerservice/api/managedClusters'
import { canPull } from '../../twin/registry/permissions.ts'
import { startSeeded, credential, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { kubeRequest } from './kube-helpers.ts'

const S = SCENARIO

/** Asks the twin's CONNECT proxy for a tunnel; resolves with its status, or 'no answer' after `waitMs`. */
function connect(proxyUrl: string, target: string, waitMs = 1000): Promise<number | 'no answer'> {
  const u = new URL(proxyUrl)
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, method: 'CONNECT', path: target })
    const timer = setTimeout(() => {
      req.destroy()
      resolve('no answer')
    }, waitMs)
    req.on('connect', (res, socket) => {
      clearTimeout(timer)
      socket.destroy()
      resolve(res.statusCode ?? 0)
    })
    req.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    req.end()
  })
}

/** One request straight to the twin (no proxy), resolving how it ended. */
function call(url: string, ca: string, method = 'GET'): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = https.request(url, { method, ca }, (res) => {
      res.resume()
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }))
    })
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }))
    req.end()
  })
}

describe('network faults', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('reset closes the connection without handling the request', async () => {
    h.twin.inject({ path: '/subscriptions/', action: 'reset' })
    expect(await call(`${h.twin.url}/subscriptions/x?api-version=1`, h.twin.caPem)).toEqual({ error: 'ECONNRESET' })
    expect(h.twin.requests.at(-1)).toMatchObject({ status: 0, fault: true })
  })

  it('drop carries the request out, then closes the connection: a lost answer', async () => {
    const before = h.twin.roleAssignments().length
    const token = (await credential(h.twin).getToken(S.ARM_SCOPE))!.token
    h.twin.inject({ method: 'PUT', path: '/roleAssignments/', action: 'drop' })
    const scope = h.scenario.registry.id
    const body = JSON.stringify({
      properties: {
        roleDefinitionId: `/subscriptions/${S.SUB}/providers/Microsoft.Authorization/roleDefinitions/7f951dda-4ed3-4680-a7ca-43fe172d538d`,
        principalId: h.scenario.kubeletObjectId,
        principalType: 'ServicePrincipal'
      }
    })
    const ended = await new Promise<string>((resolve) => {
      const req = https.request(
        `${h.twin.url}${scope}/providers/Microsoft.Authorization/roleAssignments/6a7e33a0-99b8-4a53-8a4c-1dbeb2a5e0b3?api-version=2022-04-01`,
        {
          method: 'PUT',
          ca: h.twin.caPem,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }
        }
      )
      req.on('response', () => resolve('answered'))
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'))
      req.end(body)
    })
    expect(ended).toBe('ECONNRESET')
    expect(h.twin.roleAssignments().length).toBe(before + 1)
  })

  it('matches by host and query, and a respond fault may stand alone', async () => {
    const cluster = h.scenario.cluster
    h.twin.inject({
      host: cluster.fqdn,
      path: '/api/v1/namespaces/default/pods',
      query: { watch: '1' },
      status: 500,
      body: { kind: 'Status', code: 500 }
    })
    const list = await kubeRequest(h.twin, cluster, '/api/v1/namespaces/default/pods')
    expect(list.status).toBe(200)
    const watch = await kubeRequest(h.twin, cluster, '/api/v1/namespaces/default/pods?watch=1')
    expect(watch.status).toBe(500)
  })

  it('end-stream cuts a watch after the delay; hang never answers', async () => {
    const cluster = h.scenario.cluster
    h.twin.inject({
      host: cluster.fqdn,
      path: '/api/v1/namespaces/default/configmaps',
      query: { watch: '1' },
      action: 'end-stream',
      delayMs: 50
    })
    const cut = await kubeRequest(h.twin, cluster, '/api/v1/namespaces/default/configmaps?watch=1', { timeoutMs: 5000 })
    expect(cut.status).toBe(200)
    expect(h.twin.requests.at(-1)).toMatchObject({ status: 200, fault: true })
    h.twin.inject({ host: cluster.fqdn, path: '/version', action: 'hang' })
    const started = h.twin.requests.length
    const hung = await Promise.race([
      kubeRequest(h.twin, cluster, '/version'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 500))
    ])
    expect(hung).toBe('still waiting')
    expect(h.twin.requests.slice(started)).toEqual([expect.objectContaining({ path: '/version', status: 0, fault: true })])
  })
})

describe('RBAC propagation', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('ARM lists a new grant at once; the data plane honours it only after rbacPropagationMs', async () => {
    const { registry, kubeletObjectId } = h.scenario
    h.twin.state.rbacPropagationMs = 60_000
    const fresh = h.twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: kubeletObjectId })
    expect(h.twin.roleAssignments({ scope: registry.id, principalId: kubeletObjectId })).toHaveLength(1)
    expect(canPull(h.twin.state, kubeletObjectId, registry, 'nginx').allowed).toBe(false)
    fresh.createdOn = new Date(Date.now() - 61_000).toISOString()
    expect(canPull(h.twin.state, kubeletObjectId, registry, 'nginx').allowed).toBe(true)
    h.twin.state.rbacPropagationMs = 0
  })
})

describe('private and IP-restricted clusters, parsed by @azure/arm-containerservice', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })
  const aks = () =>
    createContainerService(credential(h.twin), S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-10-01'
    })

  it("a private cluster shows only its private FQDN, and its name does not resolve through the runner's proxy", async () => {
    const c = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'private1',
      identity: 'managedIdentity',
      privateCluster: true
    })
    const mc = await getCluster(aks(), S.RESOURCE_GROUP, 'private1')
    expect(mc.apiServerAccessProfile?.enablePrivateCluster).toBe(true)
    expect(mc.privateFqdn).toBe(c.privateFqdn)
    expect(mc.privateFqdn).toMatch(/\.privatelink\.eastus\.azmk8s\.io$/)
    expect(mc.fqdn).toBeUndefined()
    expect(await connect(h.twin.proxyUrl, `${c.privateFqdn}:443`)).toBe(502)
    // From inside the cluster's network it answers.
    expect((await kubeRequest(h.twin, c, '/version')).status).toBe(200)
  })

  it('authorized IP ranges drop the runner: the proxy never answers the tunnel; a runner inside them gets through', async () => {
    const outside = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'ranged1',
      identity: 'managedIdentity',
      authorizedIpRanges: ['203.0.113.0/24']
    })
    const inside = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'ranged2',
      identity: 'managedIdentity',
      authorizedIpRanges: ['203.0.113.0/24'],
      runnerInNetwork: true
    })
    const mc = await getCluster(aks(), S.RESOURCE_GROUP, 'ranged1')
    expect(mc.apiServerAccessProfile?.authorizedIPRanges).toEqual(['203.0.113.0/24'])
    expect(mc.apiServerAccessProfile?.enablePrivateCluster).toBe(false)
    expect(await connect(h.twin.proxyUrl, `${outside.fqdn}:443`, 500)).toBe('no answer')
    expect(await connect(h.twin.proxyUrl, `${inside.fqdn}:443`)).toBe(200)
  })
})
