import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, addCaller, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { eventually, fetchKubeconfig, kubeRequest } from './kube-helpers.ts'
import { createContainerService } from '@azure/arm-containerservice/api'
import { listClusterAdminCredentials, listClusterUserCredentials } from '@azure/arm-containerservice/api/managedClusters'

const S = SCENARIO
const deployment = (name: string, image: string, replicas = 1) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image }] } }
  }
})

describe('ARM listClusterUserCredential / listClusterAdminCredential', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('local accounts: a static user with certificate, key and token, CA = the twin CA', async () => {
    const c = h.scenario.cluster
    const kc = await fetchKubeconfig(h.twin, credential(h.twin), c)
    expect(kc).toContain(
      `    certificate-authority-data: ${Buffer.from(h.twin.caPem).toString('base64')}\n    server: https://${c.fqdn}:443\n`
    )
    expect(kc).toContain(`- name: clusterUser_${S.RESOURCE_GROUP}_${S.CLUSTER}\n  user:\n    client-certificate-data: `)
    expect(kc).toContain(`    token: ${c.kube.tokens.user}\n`)
    expect(kc).toContain(`current-context: ${S.CLUSTER}\n`)
    const admin = await fetchKubeconfig(h.twin, credential(h.twin), c, 'admin')
    expect(admin).toContain(`current-context: ${S.CLUSTER}\n`)
    expect(admin).toContain(`    token: ${c.kube.tokens.admin}\n`)
  })

  it('Entra ID clusters: exec (default) or azure auth-provider; admin refused when local accounts are disabled', async () => {
    const c = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'aad1',
      identity: 'managedIdentity',
      aad: true,
      disableLocalAccounts: true
    })
    const cred = credential(h.twin)
    const exec = await fetchKubeconfig(h.twin, cred, c)
    expect(exec).toContain(
      [
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      args:',
        '      - get-token',
        '      - --environment',
        '      - AzurePublicCloud',
        '      - --server-id',
        '      - 6dae42f8-4368-4678-94ff-3960e28e3630',
        '      - --client-id',
        '      - 80faf920-1908-4b52-b5ef-a8e7bedfc67a',
        '      - --tenant-id',
        `      - ${S.TENANT_ID}`,
        '      - --login',
        '      - devicecode',
        '      command: kubelogin'
      ].join('\n')
    )
    expect(exec).not.toContain('token:')
    const azure = await fetchKubeconfig(h.twin, cred, c, 'user', 'azure')
    expect(azure).toContain('      name: azure\n')
    expect(azure).toContain("        config-mode: '1'\n")
    const aks = createContainerService(cred, S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-10-01'
    })
    const e = await listClusterAdminCredentials(aks, S.RESOURCE_GROUP, 'aad1').catch((x) => x)
    expect(e.statusCode).toBe(400)
    expect(e.code).toBe('BadRequest')
    expect(e.message).toBe('Getting static credential is not allowed because this cluster is set to disable local accounts.')
  })

  it('403 AuthorizationFailed without the credential action; the AKS Cluster User Role grants it', async () => {
    const app = addCaller(h.twin, 'a0a0a0a0-0000-4000-8000-000000000001', 'repo:octo-org/octo-app:ref:refs/heads/dev')
    const cred = credential(h.twin, { clientId: app.clientId, claims: { sub: 'repo:octo-org/octo-app:ref:refs/heads/dev' } })
    const aks = createContainerService(cred, S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-10-01'
    })
    h.twin.addRoleAssignment({ scope: h.scenario.cluster.id, role: 'Reader', principalId: app.objectId })
    const e = await listClusterUserCredentials(aks, S.RESOURCE_GROUP, S.CLUSTER).catch((x) => x)
    expect(e.statusCode).toBe(403)
    expect(e.code).toBe('AuthorizationFailed')
    expect(e.message).toContain(
      `does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action' over scope '${h.scenario.cluster.id}'`
    )
    h.twin.addRoleAssignment({
      scope: h.scenario.cluster.id,
      role: 'Azure Kubernetes Service Cluster User Role',
      principalId: app.objectId
    })
    const ok = await listClusterUserCredentials(aks, S.RESOURCE_GROUP, S.CLUSTER)
    expect(ok.kubeconfigs![0].name).toBe('clusterUser')
    const admin = await listClusterAdminCredentials(aks, S.RESOURCE_GROUP, S.CLUSTER).catch((x) => x)
    expect(admin.statusCode).toBe(403)
  })
})

describe('the API server directly', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
    h.twin.addImage(h.scenario.registry, 'app:1.0')
  })
  afterAll(async () => {
    await h.close()
  })
  const c = () => h.scenario.cluster

  it('401 Status without a valid token', async () => {
    const r = await kubeRequest(h.twin, c(), '/api/v1/namespaces/default/pods', { token: 'nope' })
    expect(r.status).toBe(401)
    expect(r.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401
    })
  })

  it('server-side apply needs fieldManager (422); dryRun stores nothing; create twice is 409 AlreadyExists', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web'
    const noManager = await kubeRequest(h.twin, c(), path, {
      method: 'PATCH',
      body: deployment('web', 'nginx:1.27'),
      contentType: 'application/apply-patch+yaml'
    })
    expect(noManager.status).toBe(422)
    expect(noManager.json.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch')
    const dry = await kubeRequest(h.twin, c(), `${path}?fieldManager=deployer&dryRun=All`, {
      method: 'PATCH',
      body: deployment('web', 'nginx:1.27'),
      contentType: 'application/apply-patch+yaml'
    })
    expect(dry.status).toBe(201)
    expect(dry.json.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
    expect(c().kube.get('Deployment', 'default', 'web')).toBeUndefined()
    const created = await kubeRequest(h.twin, c(), '/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('web', 'nginx:1.27')
    })
    expect(created.status).toBe(201)
    expect(created.json.metadata.generation).toBe(1)
    const again = await kubeRequest(h.twin, c(), '/apis/apps/v1/namespaces/default/deployments', {
      method: 'POST',
      body: deployment('web', 'nginx:1.27')
    })
    expect(again.status).toBe(409)
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'deployments.apps "web" already exists',
      details: { name: 'web', group: 'apps', kind: 'deployments' }
    })
    // generation moves with the spec only.
    const label = await kubeRequest(h.twin, c(), path, {
      method: 'PATCH',
      body: { metadata: { labels: { team: 'a' } } },
      contentType: 'application/merge-patch+json'
    })
    expect(label.json.metadata.generation).toBe(1)
    const spec = await kubeRequest(h.twin, c(), path, {
      method: 'PATCH',
      body: { spec: { replicas: 2 } },
      contentType: 'application/strategic-merge-patch+json'
    })
    expect(spec.json.metadata.generation).toBe(2)
  })

  it('watch streams events at once; an old resourceVersion gets a 410 Expired ERROR event', async () => {
    const list = await kubeRequest(h.twin, c(), '/api/v1/namespaces/default/configmaps')
    const rv = list.json.metadata.resourceVersion
    const watching = kubeRequest(h.twin, c(), `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, { lines: 1 })
    await new Promise((r) => setTimeout(r, 100))
    c().kube.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cfg', namespace: 'default' }, data: { a: '1' } })
    const ev = JSON.parse((await watching).text.split('\n')[0])
    expect(ev.type).toBe('ADDED')
    expect(ev.object.metadata.name).toBe('cfg')
    c().kube.expireWatches()
    const old = await kubeRequest(h.twin, c(), `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${rv}`, { lines: 1 })
    const err = JSON.parse(old.text.split('\n')[0])
    expect(err).toEqual({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
        reason: 'Expired',
        code: 410
      }
    })
  })

  it('pull denied (no role) gives the ACR 401 text, ErrImagePull then ImagePullBackOff; an AcrPull assignment later lets it start', async () => {
    const acr = h.scenario.registry.loginServer
    const k = c().kube
    k.create(deployment('api', `${acr}/app:1.0`))
    const denied = `failed to pull and unpack image "${acr}/app:1.0": failed to resolve reference "${acr}/app:1.0": failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://${acr}/oauth2/token?scope=repository%3Aapp%3Apull&service=${acr}: 401 Unauthorized`
    const backoff = await eventually(() =>
      k
        .list('Pod', 'default')
        .find((p) => p.metadata.labels?.app === 'api' && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'ImagePullBackOff')
    )
    expect(backoff.status.containerStatuses[0].state.waiting.message).toBe(
      `Back-off pulling image "${acr}/app:1.0": ErrImagePull: ${denied}`
    )
    const events = k.eventsFor('Pod', 'default', backoff.metadata.name).map((e) => `${e.type} ${e.reason} ${e.message}`)
    expect(events).toEqual(
      expect.arrayContaining([
        `Normal Scheduled Successfully assigned default/${backoff.metadata.name} to ${backoff.spec.nodeName}`,
        `Normal Pulling Pulling image "${acr}/app:1.0"`,
        `Warning Failed Failed to pull image "${acr}/app:1.0": ${denied}`,
        'Warning Failed Error: ErrImagePull',
        `Normal BackOff Back-off pulling image "${acr}/app:1.0"`,
        'Warning Failed Error: ImagePullBackOff'
      ])
    )
    h.twin.addRoleAssignment({ scope: h.scenario.registry.id, role: 'AcrPull', principalId: c().pullPrincipalId })
    const running = await eventually(() =>
      k
        .list('Pod', 'default')
        .find((p) => p.metadata.labels?.app === 'api' && p.status?.phase === 'Running' && p.status.containerStatuses[0].ready)
    )
    expect(running.status.containerStatuses[0].imageID).toBe(`${acr}/app@${h.twin.tagDigest(acr, 'app', '1.0')}`)
    await eventually(
      () =>
        k.get('Deployment', 'default', 'api')?.status?.conditions?.find((x: any) => x.type === 'Progressing')?.reason ===
        'NewReplicaSetAvailable'
    )
  })

  it('InvalidImageName with the kubelet text', async () => {
    const k = c().kube
    k.create(deployment('bad', 'Nginx:latest'))
    const pod = await eventually(() =>
      k
        .list('Pod', 'default')
        .find((p) => p.metadata.labels?.app === 'bad' && p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'InvalidImageName')
    )
    const msg =
      'Failed to apply default image tag "Nginx:latest": couldn\'t parse image name "Nginx:latest": invalid reference format: repository name (library/Nginx) must be lowercase'
    expect(pod.status.containerStatuses[0].state.waiting.message).toBe(msg)
    expect(k.eventsFor('Pod', 'default', pod.metadata.name).map((e) => `${e.reason} ${e.message}`)).toEqual(
      expect.arrayContaining([`InspectFailed ${msg}`, 'Failed Error: InvalidImageName'])
    )
  })

  it('deleting a Deployment collects its ReplicaSets and pods', async () => {
    const k = c().kube
    await eventually(() => k.list('Pod', 'default').some((p) => p.metadata.labels?.app === 'web'))
    const r = await kubeRequest(h.twin, c(), '/apis/apps/v1/namespaces/default/deployments/web', { method: 'DELETE' })
    expect(r.status).toBe(200)
    await eventually(
      () =>
        !k.list('ReplicaSet', 'default').some((x) => x.metadata.labels?.app === 'web') &&
        !k.list('Pod', 'default').some((p) => p.metadata.labels?.app === 'web')
    )
  })
})
