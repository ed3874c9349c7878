import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { startSeeded, fetchGithubToken, SCENARIO } from '../twin/helpers.ts'
import type { Harness } from '../twin/helpers.ts'
import { kubectlFor, eventually } from '../twin/kube-helpers.ts'
import { azSession, findAz, INSTALL_HINT } from './az-cli.ts'
import type { AzSession } from './az-cli.ts'

const S = SCENARIO
const az = findAz()
const UPDATE_MS = 180_000

/**
 * The seed scenario as its own tool runs it: Debian's Azure CLI against the twin, each command
 * judged by its exit code and by the state real Azure would be left in. `az aks update` waits
 * for the cluster PUT's operation with the SDK's default 30 s poll (AKS sends no Retry-After),
 * so each update takes about 30 s here too.
 */
describe("the seed's Azure CLI commands against the twin", () => {
  if (!az) {
    process.stderr.write(`az not found: the seed's Azure CLI commands were not run against the twin (install it: ${INSTALL_HINT})\n`)
    return
  }
  let h: Harness
  let session: AzSession
  let kubeletId: string
  let clusterPath: string

  beforeAll(async () => {
    h = await startSeeded()
    // Seconds, where AKS takes minutes; az's requests are the same either way.
    h.twin.state.clusterOperationMs = 5000
    // ACR sent Retry-After: 10 in 2022 and none now; 1 s only shortens az's wait between polls.
    h.twin.state.importRetryAfterSeconds = 1
    kubeletId = h.scenario.kubeletObjectId
    clusterPath = h.scenario.cluster.id
    session = await azSession(h.twin, {
      tenantId: S.TENANT_ID,
      clientId: S.CLIENT_ID,
      subscriptionId: S.SUB,
      assertion: () => fetchGithubToken(h.twin, h.twin.github.requestToken())
    })
  }, 120_000)
  afterAll(async () => {
    session?.close()
    await h?.close()
  })

  const acrPull = (registryId: string, principalId = kubeletId) =>
    h.twin.roleAssignments({ scope: registryId, principalId, role: 'AcrPull' })
  const requestsDuring = (run: { startedAt: number; exitedAt: number }) =>
    h.twin.requests.filter((r) => Date.parse(r.time) >= run.startedAt && Date.parse(r.time) <= run.exitedAt)

  it("az aks show and az acr show (found by name among the subscription's resources) read what ARM holds", async () => {
    const aks = await session.run(['aks', 'show', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER])
    expect(aks.code).toBe(0)
    expect(JSON.parse(aks.stdout)).toMatchObject({
      id: clusterPath,
      provisioningState: 'Succeeded',
      identityProfile: { kubeletidentity: { objectId: kubeletId } }
    })
    const acr = await session.run(['acr', 'show', '-n', S.REGISTRY])
    expect(acr.code).toBe(0)
    expect(JSON.parse(acr.stdout)).toMatchObject({ id: h.scenario.registry.id, loginServer: 'myacr.azurecr.io' })
    expect(requestsDuring(acr).map((r) => `${r.path} ${r.query.$filter ?? ''} ${r.status}`)).toContain(
      `/subscriptions/${S.SUB}/resources resourceType eq 'Microsoft.ContainerRegistry/registries' 200`
    )
  })

  it(
    'az aks update --attach-acr by name and by resource ID: one AcrPull each, and a whole-cluster PUT run as an operation',
    async () => {
      const other = h.twin.addCluster({
        subscriptionId: S.SUB,
        resourceGroup: 'otherGroup',
        name: 'otherCluster',
        identity: 'managedIdentity'
      })
      const otherAcr = h.twin.addRegistry({ subscriptionId: S.SUB, resourceGroup: 'otherGroup', name: 'otheracr' })
      // Concurrently: each waits on its own cluster operation, so together they take one wait.
      const [byName, byId] = await Promise.all([
        session.run(['aks', 'update', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--attach-acr', S.REGISTRY]),
        session.run(['aks', 'update', '-g', 'otherGroup', '-n', 'otherCluster', '--attach-acr', otherAcr.id])
      ])
      expect(byName.code).toBe(0)
      expect(byId.code).toBe(0)
      expect(acrPull(h.scenario.registry.id)).toHaveLength(1)
      expect(acrPull(otherAcr.id, other.pullPrincipalId)).toHaveLength(1)

      const seen = requestsDuring(byName).filter(
        (r) =>
          r.path.startsWith(clusterPath) || r.path.includes(`/registries/${S.REGISTRY}/providers/Microsoft.Authorization/roleAssignments/`)
      )
      const shape = seen.map((r) => `${r.method} ${r.path.includes('roleAssignments') ? 'roleAssignment' : 'cluster'} ${r.status}`)
      // The grant, the cluster PUT, the cluster read when the operation ends, then the grant again (409: already there).
      expect(shape).toEqual(['GET cluster 200', 'PUT roleAssignment 201', 'PUT cluster 200', 'GET cluster 200', 'PUT roleAssignment 409'])
      expect(byName.exitedAt - byName.startedAt).toBeGreaterThanOrEqual(5000)
      const polls = requestsDuring(byName).filter((r) =>
        /\/providers\/Microsoft\.ContainerService\/locations\/eastus\/operations\//.test(r.path)
      )
      expect(polls.length).toBeGreaterThanOrEqual(1)
      expect(JSON.parse((await session.run(['aks', 'show', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER])).stdout).provisioningState).toBe(
        'Succeeded'
      )
    },
    UPDATE_MS
  )

  it(
    'az aks update --detach-acr deletes that AcrPull and nothing else',
    async () => {
      const unrelated = h.twin.addRoleAssignment({ scope: h.scenario.registry.id, role: 'Reader', principalId: kubeletId })
      const detach = await session.run(['aks', 'update', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--detach-acr', S.REGISTRY])
      expect(detach.code).toBe(0)
      expect(acrPull(h.scenario.registry.id)).toHaveLength(0)
      expect(h.twin.roleAssignments({ scope: h.scenario.registry.id, principalId: kubeletId })).toEqual([unrelated])
      expect(requestsDuring(detach).filter((r) => r.method === 'DELETE').length).toBe(1)
      h.twin.state.removeRoleAssignment(unrelated.name)
    },
    UPDATE_MS
  )

  it('az aks check-acr runs canipull in the cluster; its verdict is the token exchange, so it passes without AcrPull too', async () => {
    const check = await session.run(['aks', 'check-acr', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--acr', 'myacr.azurecr.io'])
    expect(check.code).toBe(0)
    expect(check.stdout).toContain('Validating image pull permission: SUCCEEDED')
    expect(check.stdout).toContain('\nYour cluster can pull images from myacr.azurecr.io!\n')
    expect(acrPull(h.scenario.registry.id)).toHaveLength(0)
    expect(requestsDuring(check).some((r) => /\/pods\/canipull-[0-9a-f-]+\/attach$/.test(r.path) && r.status === 101)).toBe(true)
    // --rm: the privileged pod is gone afterwards.
    await eventually(() => h.scenario.cluster.kube.list('Pod', 'default').every((p) => !p.metadata.name.startsWith('canipull-')), 10_000)

    // canipull exits 52, but az still exits 0: kubectl run's --restart defaults to Always, so kubectl
    // ignores the container's exit code (az's overrides make the pod Never; kubectl does not look).
    const missing = await session.run(['aks', 'check-acr', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--acr', 'nothere.azurecr.io'])
    expect(missing.code).toBe(0)
    expect(missing.stdout).toContain('Checking host name resolution (nothere.azurecr.io): FAILED')
    expect(missing.stdout).not.toContain('Your cluster can pull images')
  }, 120_000)

  it('az acr import copies the image server-side; its re-run fails on the tag it made', async () => {
    const upstream = h.twin.tagDigest('docker.io', 'library/nginx', '1.27')
    const args = ['acr', 'import', '-n', S.REGISTRY, '--source', 'docker.io/library/nginx:1.27', '--image', 'nginx:1.27']
    const first = await session.run(args)
    expect(first.code).toBe(0)
    expect(h.twin.tagDigest('myacr.azurecr.io', 'nginx', '1.27')).toBe(upstream)
    const again = await session.run(args)
    expect(again.code).toBe(1)
    expect(again.stderr).toContain('(InvalidParameters) Tag nginx:1.27 already exists in target registry.')
    expect(h.twin.tagDigest('myacr.azurecr.io', 'nginx', '1.27')).toBe(upstream)
  }, 120_000)

  it('az aks get-credentials merges the user and admin contexts az names, and kubectl reaches the cluster with them', async () => {
    const file = join(session.dir, 'kubeconfig')
    const user = await session.run(['aks', 'get-credentials', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--file', file])
    expect(user.code).toBe(0)
    expect(user.stderr).toContain(`Merged "${S.CLUSTER}" as current context in ${file}`)
    const admin = await session.run(['aks', 'get-credentials', '-g', S.RESOURCE_GROUP, '-n', S.CLUSTER, '--admin', '--file', file])
    expect(admin.code).toBe(0)
    expect(admin.stderr).toContain(`Merged "${S.CLUSTER}-admin" as current context in ${file}`)
    const k = await kubectlFor(h.twin, readFileSync(file, 'utf8'))
    try {
      expect((await k.run(['config', 'get-contexts', '-o', 'name'])).stdout.split('\n').filter(Boolean).sort()).toEqual([
        S.CLUSTER,
        `${S.CLUSTER}-admin`
      ])
      for (const context of [S.CLUSTER, `${S.CLUSTER}-admin`]) {
        const nodes = await k.run(['--context', context, 'get', 'nodes', '-o', 'name'])
        expect(nodes.code).toBe(0)
        expect(nodes.stdout.trim().split('\n')).toHaveLength(3)
      }
    } finally {
      await k.close()
    }
  })

  it('no request left the twin: every tunnel the proxy opened was to a host the twin serves', () => {
    expect(h.twin.proxyLog.length).toBeGreaterThan(0)
    expect(h.twin.proxyLog.filter((e) => !e.allowed)).toEqual([])
  })
})
