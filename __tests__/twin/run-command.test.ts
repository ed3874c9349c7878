import { describe, it, expect, beforeAll, afterAll, afterEach } from '@jest/globals'
import { existsSync } from 'node:fs'
import { strToU8, zipSync } from 'fflate'
import type { Zippable } from 'fflate'
import type { TokenCredential } from '@azure/core-auth'
import { createContainerService } from '@azure/arm-containerservice/api'
import { runCommand, getCommandResult } from '@azure/arm-containerservice/api/managedClusters'
import type { RunCommandResult } from '@azure/arm-containerservice'
import { startSeeded, credential, addCaller, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import type { Cluster } from '../../twin/state.ts'
import { AKS_SERVER_APP } from '../../twin/entra.ts'

const S = SCENARIO
const scopes = [S.ARM_SCOPE]
const AKS_SCOPE = `${AKS_SERVER_APP}/.default`

const deployment = (name: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name, namespace: 'default' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: 'web', image: 'mcr.microsoft.com/azuredocs/aks-helloworld:v1' }] }
    }
  }
})

/** The context as the action makes it: fflate's zipSync, base64. */
const zipContext = (files: Zippable) => Buffer.from(zipSync(files)).toString('base64')

describe('AKS run command, judged by @azure/arm-containerservice', () => {
  let h: Harness
  let cred: TokenCredential
  let aks: ReturnType<typeof createContainerService>
  const aksAs = (c: TokenCredential) =>
    createContainerService(c, S.SUB, { endpoint: h.twin.url, credentials: { scopes }, apiVersion: '2025-10-01' })

  /** runCommand's poller, polled every 50 ms, to its end. */
  const invoke = (
    cluster: Cluster,
    command: string,
    o: { files?: Zippable; clusterToken?: string; client?: ReturnType<typeof createContainerService> } = {}
  ): Promise<RunCommandResult> =>
    runCommand(
      o.client ?? aks,
      cluster.resourceGroup,
      cluster.name,
      { command, ...(o.files ? { context: zipContext(o.files) } : {}), ...(o.clusterToken ? { clusterToken: o.clusterToken } : {}) },
      { updateIntervalInMs: 50 }
    ).pollUntilDone()

  const runOf = (id: string) => h.twin.state.commandRuns.find((r) => r.id === id)!
  const addCluster = (name: string, extra: Partial<Parameters<Harness['twin']['addCluster']>[0]> = {}) =>
    h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name,
      location: S.LOCATION,
      identity: 'managedIdentity',
      ...extra
    })

  beforeAll(async () => {
    h = await startSeeded()
    cred = credential(h.twin)
    aks = aksAs(cred)
  })
  afterAll(async () => {
    await h.close()
  })
  afterEach(() => {
    const st = h.twin.state
    st.runCommandStartMs = 500
    st.runCommandStartDeadlineMs = 30_000
    st.runCommandStartFailure = undefined
    st.runCommandStartWait = 'sync'
    st.runCommandLogsCapBytes = 512 * 1024
    st.runCommandTimeLimitMs = 3_600_000
  })

  it("applies a manifest from the context with server-side apply: the object exists and logs are kubectl's JSON", async () => {
    const c = h.scenario.cluster
    const res = await invoke(c, 'kubectl apply --server-side --field-manager=aks-acr-action -f deploy.json -o json', {
      files: { 'deploy.json': strToU8(JSON.stringify(deployment('hello'))) }
    })
    expect(res).toMatchObject({ provisioningState: 'Succeeded', exitCode: 0 })
    expect(res.id).toMatch(/^[0-9a-f]{32}$/)
    expect(res.startedAt).toBeInstanceOf(Date)
    expect(res.finishedAt!.getTime()).toBeGreaterThanOrEqual(res.startedAt!.getTime())
    const printed = JSON.parse(res.logs!)
    expect(printed).toMatchObject({ kind: 'Deployment', metadata: { name: 'hello', namespace: 'default' } })
    const stored = c.kube.get('Deployment', 'default', 'hello')!
    expect(stored.metadata.uid).toBe(printed.metadata.uid)
    expect(
      (stored.metadata.managedFields as Array<{ manager: string; operation: string }>).map((f) => [f.manager, f.operation])
    ).toContainEqual(['aks-acr-action', 'Apply'])
    // kubectl's requests reached the API server from inside the cluster, as the admin (a local-account cluster).
    const fromPod = h.twin.requests.filter((r) => r.host === c.fqdn && r.via === 'cluster')
    expect(
      fromPod.some((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/default/deployments/hello' && r.status < 300)
    ).toBe(true)
    expect(fromPod.filter((r) => r.tokenOid).every((r) => r.tokenOid === 'clusterAdmin')).toBe(true)
    expect(runOf(res.id!)).toMatchObject({
      command: expect.stringContaining('kubectl apply'),
      runAs: 'clusterAdmin',
      files: ['deploy.json'],
      callerOid: S.APP_OBJECT_ID
    })
  })

  it("a failing command: non-zero exitCode, kubectl's error in logs, still a Succeeded operation", async () => {
    const res = await invoke(h.scenario.cluster, 'kubectl get deployment does-not-exist')
    expect(res).toMatchObject({ provisioningState: 'Succeeded', exitCode: 1 })
    expect(res.logs).toBe('Error from server (NotFound): deployments.apps "does-not-exist" not found\n')
    const shell = await invoke(h.scenario.cluster, 'echo out; echo err >&2; echo out2; exit 7')
    expect(shell).toMatchObject({ exitCode: 7, logs: 'out\nerr\nout2\n' })
  })

  it('runs in a fresh scratch directory holding the context (stored and deflated, nested), HOME inside it, no runner proxy, removed afterwards', async () => {
    const files: Zippable = {
      'a.txt': [strToU8('stored\n'), { level: 0 }],
      'dir/b.yaml': strToU8('x: deflated\n'.repeat(50)),
      'empty/': {}
    }
    const script =
      'pwd; ls -A; cat a.txt; head -n1 dir/b.yaml; echo "HOME=$HOME"; echo "KUBECONFIG=$KUBECONFIG"; env | grep -i _proxy | sort; test -d empty && echo empty-dir'
    const res = await invoke(h.scenario.cluster, script, { files })
    const lines = res.logs!.split('\n')
    const dir = lines[0]
    expect(lines.slice(1, 5)).toEqual(['.home', 'a.txt', 'dir', 'empty'])
    expect(lines).toContain('stored')
    expect(lines).toContain('x: deflated')
    expect(lines).toContain(`HOME=${dir}/.home`)
    expect(lines).toContain(`KUBECONFIG=${dir}/.home/.kube/config`)
    const proxyVars = lines.filter((l) => /_proxy=/i.test(l))
    expect(proxyVars.map((l) => l.split('=')[0])).toEqual(['HTTPS_PROXY', 'https_proxy'])
    expect(proxyVars.every((l) => !l.endsWith(h.twin.proxyUrl))).toBe(true)
    expect(lines).toContain('empty-dir')
    expect(existsSync(dir)).toBe(false)
  })

  it("accepts a context with line breaks (Python's base64.encodebytes, as az aks command invoke sends it)", async () => {
    const b64 = zipContext({ 'f.txt': strToU8('from az\n') }).replace(/(.{76})/g, '$1\n')
    const poller = runCommand(aks, S.RESOURCE_GROUP, S.CLUSTER, { command: 'cat f.txt', context: b64 }, { updateIntervalInMs: 50 })
    expect((await poller.pollUntilDone()).logs).toBe('from az\n')
  })

  it('refuses a context that would write outside the working directory, or is not a zip', async () => {
    const evil = zipContext({ '../evil.txt': strToU8('x') })
    const e1 = await runCommand(aks, S.RESOURCE_GROUP, S.CLUSTER, { command: 'true', context: evil })
      .pollUntilDone()
      .catch((e) => e)
    expect(e1).toMatchObject({ statusCode: 400, code: 'InvalidParameter' })
    expect(e1.message).toContain('../evil.txt')
    const e2 = await runCommand(aks, S.RESOURCE_GROUP, S.CLUSTER, { command: 'true', context: Buffer.from('not a zip').toString('base64') })
      .pollUntilDone()
      .catch((e) => e)
    expect(e2).toMatchObject({ statusCode: 400, code: 'InvalidParameter' })
  })

  it('reaches a private cluster and one with authorized IP ranges from the command pod, which the runner cannot', async () => {
    const priv = addCluster('privRc', { privateCluster: true })
    const ranged = addCluster('rangedRc', { authorizedIpRanges: ['203.0.113.0/24'] })
    for (const c of [priv, ranged]) {
      const res = await invoke(c, 'kubectl get nodes -o name')
      expect(res).toMatchObject({ provisioningState: 'Succeeded', exitCode: 0 })
      expect(res.logs!.split('\n').filter(Boolean)).toEqual(c.kube.nodeNames.map((n) => `node/${n}`))
      expect(h.twin.requests.some((r) => r.host === c.fqdn && r.via === 'cluster' && r.path === '/api/v1/nodes')).toBe(true)
    }
    expect(priv.fqdn).toMatch(/\.privatelink\./)
    // The runner's network: the private name does not resolve there (the proxy answers 502).
    expect(await connectThroughProxy(h.twin.proxyUrl, priv.fqdn)).toMatch(/^HTTP\/1\.1 502/)
    expect(h.twin.proxyLog.at(-1)).toMatchObject({ target: `${priv.fqdn}:443`, allowed: false, reach: 'unresolvable' })
  })

  it('another private cluster stays unreachable from inside a cluster (its name resolves only in its own network)', async () => {
    const other = addCluster('otherPriv', { privateCluster: true })
    const res = await invoke(h.scenario.cluster, `kubectl --server https://${other.fqdn}:443 get nodes --request-timeout=5s`)
    expect(res.exitCode).not.toBe(0)
    expect(res.logs).toContain('Unable to connect to the server: Bad Gateway')
  })

  describe("Entra ID cluster: the command runs as the clusterToken's identity", () => {
    let c: Cluster
    let token: string
    beforeAll(async () => {
      c = addCluster('aadRc', { aad: true })
      token = (await cred.getToken(AKS_SCOPE))!.token
    })

    it("forbidden without a Kubernetes grant, in Kubernetes' words naming the caller", async () => {
      const res = await invoke(c, 'kubectl get pods', { clusterToken: token })
      expect(res).toMatchObject({ provisioningState: 'Succeeded', exitCode: 1 })
      expect(res.logs).toContain(
        `Error from server (Forbidden): pods is forbidden: User "${S.APP_OBJECT_ID}" cannot list resource "pods" in API group "" in the namespace "default"`
      )
      expect(runOf(res.id!).runAs).toBe(S.APP_OBJECT_ID)
    })

    it('allowed with one', async () => {
      c.kube.grant(S.APP_OBJECT_ID, 'view')
      const res = await invoke(c, 'kubectl get pods -n kube-system -o name', { clusterToken: token })
      expect(res).toMatchObject({ exitCode: 0 })
      expect(h.twin.requests.filter((r) => r.host === c.fqdn && r.via === 'cluster').at(-1)).toMatchObject({
        tokenOid: S.APP_OBJECT_ID,
        status: 200
      })
    })

    it('a wrong clusterToken (an ARM token): kubectl gets the 401 it would', async () => {
      const armToken = (await cred.getToken(S.ARM_SCOPE))!.token
      const res = await invoke(c, 'kubectl get pods', { clusterToken: armToken })
      expect(res.exitCode).toBe(1)
      expect(
        res.logs!.endsWith('error: You must be logged in to the server (the server has asked for the client to provide credentials)\n')
      ).toBe(true)
      expect(h.twin.requests.filter((r) => r.host === c.fqdn && r.via === 'cluster').at(-1)).toMatchObject({ status: 401 })
    })

    it('no clusterToken: kubectl has no credentials and, without a terminal, fails asking for a user name', async () => {
      const res = await invoke(c, 'kubectl get pods')
      expect(res.exitCode).toBe(1)
      expect(res.logs).toBe('Please enter Username: error: EOF\n')
      expect(runOf(res.id!).runAs).toBeUndefined()
    })
  })

  it('a cluster with disableRunCommand refuses', async () => {
    const c = addCluster('noRc', { disableRunCommand: true })
    const err = await invoke(c, 'true').catch((e) => e)
    expect(err).toMatchObject({ statusCode: 400, code: 'OperationNotAllowed' })
  })

  it('403 AuthorizationFailed without runcommand/action; 403 on the poll without commandResults/read', async () => {
    const clusterId = h.scenario.cluster.id
    const user = addCaller(h.twin, '99999999-0000-4000-8000-0000000000a1', 'repo:octo-org/octo-app:ref:refs/heads/rc-user')
    h.twin.addRoleAssignment({ scope: clusterId, role: 'Azure Kubernetes Service Cluster User Role', principalId: user.objectId })
    const asUser = aksAs(credential(h.twin, { clientId: user.clientId, claims: { ref: 'refs/heads/rc-user' } }))
    const e1 = await invoke(h.scenario.cluster, 'true', { client: asUser }).catch((e) => e)
    expect(e1).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    expect(e1.message).toBe(
      `The client '${user.clientId}' with object id '${user.objectId}' does not have authorization to perform action 'Microsoft.ContainerService/managedClusters/runcommand/action' over scope '${clusterId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
    )

    const runner = addCaller(h.twin, '99999999-0000-4000-8000-0000000000a2', 'repo:octo-org/octo-app:ref:refs/heads/rc-runner')
    const role = h.twin.addCustomRole({
      subscriptionId: S.SUB,
      name: 'Run commands only',
      actions: ['Microsoft.ContainerService/managedClusters/runcommand/action']
    })
    h.twin.addRoleAssignment({ scope: clusterId, role: role.guid, principalId: runner.objectId })
    const asRunner = aksAs(credential(h.twin, { clientId: runner.clientId, claims: { ref: 'refs/heads/rc-runner' } }))
    const e2 = await invoke(h.scenario.cluster, 'true', { client: asRunner }).catch((e) => e)
    expect(e2).toMatchObject({ statusCode: 403, code: 'AuthorizationFailed' })
    expect(e2.message).toContain("perform action 'Microsoft.ContainerService/managedClusters/commandResults/read'")
  })

  it('cuts output over the cap: AKS keeps 512 kB, the first bytes', async () => {
    const res = await invoke(h.scenario.cluster, 'echo first; head -c 700000 /dev/zero | tr "\\0" a')
    const logs = res.logs!
    expect(Buffer.byteLength(logs)).toBe(512 * 1024)
    expect(logs.startsWith('first\naaaa')).toBe(true)
    expect(runOf(res.id!).logBytes).toBe(6 + 700000)
    h.twin.state.runCommandLogsCapBytes = 100
    const small = await invoke(h.scenario.cluster, 'seq 1 1000')
    const full = Array.from({ length: 1000 }, (_, i) => i + 1).join('\n') + '\n'
    expect(small.logs).toBe(full.slice(0, 100))
  })

  it('kills a command at the time limit: Failed with reason DeadlineExceeded (the SDK resolves, it does not throw)', async () => {
    h.twin.state.runCommandTimeLimitMs = 300
    const res = await invoke(h.scenario.cluster, 'echo started; sleep 30 & sleep 30; echo never')
    expect(res).toEqual({ id: res.id, provisioningState: 'Failed', reason: 'DeadlineExceeded' })
  })

  describe('a command pod that never starts', () => {
    it('sync (real AKS): the POST itself fails with KubernetesPerformanceError at the start deadline', async () => {
      const st = h.twin.state
      st.runCommandStartFailure = 'ImagePullBackOff'
      st.runCommandStartDeadlineMs = 300
      const before = st.commandRuns.length
      const err = await invoke(h.scenario.cluster, 'true').catch((e) => e)
      const run = st.commandRuns[before]
      expect(err).toMatchObject({ name: 'RestError', statusCode: 400, code: 'KubernetesPerformanceError' })
      expect(err.message).toBe(
        `Failed to run command due to cluster perf issue, container command-${run.id} in aks-command namespace did not start within 0.3s on your cluster, retry may helps. If issue persist, you may need to tune your cluster with better performance (larger node/paid tier).`
      )
      expect(run).toMatchObject({ provisioningState: 'Failed', reason: 'ImagePullBackOff' })
      expect(run.startedAt).toBeUndefined()
      const post = h.twin.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/runCommand')).at(-1)!
      expect(post.status).toBe(400)
      expect(h.twin.requests.some((r) => r.path.endsWith(`/commandResults/${run.id}`))).toBe(false)
    })

    it('async: 202 at once, then a Failed result with the reason, which the SDK resolves with (it does not throw)', async () => {
      const st = h.twin.state
      st.runCommandStartWait = 'async'
      st.runCommandStartFailure = 'ImagePullBackOff'
      st.runCommandStartDeadlineMs = 300
      const res = await invoke(h.scenario.cluster, 'true')
      expect(res).toEqual({ id: expect.stringMatching(/^[0-9a-f]{32}$/), provisioningState: 'Failed', reason: 'ImagePullBackOff' })
      const polls = h.twin.requests.filter((r) => r.path.endsWith(`/commandResults/${res.id}`))
      expect(polls.at(-1)!.status).toBe(200)
      expect(polls.slice(0, -1).every((p) => p.status === 202)).toBe(true)
    })

    it('a pod slower than the deadline fails the same way (reason ContainerCreating)', async () => {
      const st = h.twin.state
      st.runCommandStartWait = 'async'
      st.runCommandStartMs = 5000
      st.runCommandStartDeadlineMs = 200
      const res = await invoke(h.scenario.cluster, 'true')
      expect(res).toEqual({ id: res.id, provisioningState: 'Failed', reason: 'ContainerCreating' })
    })
  })

  describe('runCommandStartMs is honoured', () => {
    it('async: polls are answered 202 before the pod starts; the result comes only after', async () => {
      h.twin.state.runCommandStartWait = 'async'
      h.twin.state.runCommandStartMs = 400
      const res = await invoke(h.scenario.cluster, 'echo hi')
      const run = runOf(res.id!)
      const polls = h.twin.requests.filter((r) => r.path.endsWith(`/commandResults/${res.id}`))
      const beforeStart = polls.filter((p) => p.time < run.startedAt!)
      expect(beforeStart.length).toBeGreaterThan(0)
      expect(beforeStart.every((p) => p.status === 202)).toBe(true)
      expect(polls.filter((p) => p.status === 200).every((p) => Date.parse(p.time) + p.durationMs >= Date.parse(run.finishedAt!))).toBe(
        true
      )
      const post = h.twin.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/runCommand') && r.time <= run.submittedAt).at(-1)!
      expect(post.status).toBe(202)
      expect(Date.parse(post.time) + post.durationMs).toBeLessThan(Date.parse(run.startedAt!))
    })

    it('sync: the POST is answered only once the pod has started', async () => {
      h.twin.state.runCommandStartMs = 400
      const before = h.twin.requests.length
      const res = await invoke(h.scenario.cluster, 'echo hi')
      const run = runOf(res.id!)
      const post = h.twin.requests.slice(before).find((r) => r.method === 'POST')!
      expect(post.status).toBe(202)
      expect(Date.parse(post.time) + post.durationMs).toBeGreaterThanOrEqual(Date.parse(run.startedAt!))
    })
  })

  it("answers the REST shapes: 202 with an absolute Location on the client's base URL, then the result; getCommandResult parses both", async () => {
    h.twin.state.runCommandStartWait = 'async'
    h.twin.state.runCommandStartMs = 300
    const token = (await cred.getToken(S.ARM_SCOPE))!.token
    const path = `/subscriptions/${S.SUB}/resourceGroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}`
    const post = await armFetch(h.twin, `${path}/runCommand?api-version=2025-10-01`, {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ command: 'echo rest' })
    })
    expect(post.status).toBe(202)
    expect(post.body).toBeUndefined()
    const location = post.headers.get('location')!
    const id = /\/commandResults\/([0-9a-f]{32})\?api-version=2025-10-01$/.exec(location)![1]
    expect(location).toBe(
      `${h.twin.url}/subscriptions/${S.SUB}/resourcegroups/${S.RESOURCE_GROUP}/providers/Microsoft.ContainerService/managedClusters/${S.CLUSTER}/commandResults/${id}?api-version=2025-10-01`
    )
    const running = await getCommandResult(aks, S.RESOURCE_GROUP, S.CLUSTER, id)
    expect(running).toEqual({ id, provisioningState: 'Running' })
    const raw = await armFetch(h.twin, new URL(location).pathname + new URL(location).search, { token })
    expect(raw.status).toBe(202)
    expect(raw.headers.get('location')).toBe(location)
    let final = running
    while (final?.provisioningState === 'Running') {
      await new Promise((r) => setTimeout(r, 50))
      final = await getCommandResult(aks, S.RESOURCE_GROUP, S.CLUSTER, id)
    }
    expect(final).toMatchObject({ id, provisioningState: 'Succeeded', exitCode: 0, logs: 'rest\n' })
    const rawFinal = await armFetch(h.twin, new URL(location).pathname + new URL(location).search, { token })
    expect(rawFinal.body.properties.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    const missing = await getCommandResult(aks, S.RESOURCE_GROUP, S.CLUSTER, '0'.repeat(32)).catch((e) => e)
    expect(missing).toMatchObject({ statusCode: 404 })
  })
})

/** Asks the runner's proxy for a tunnel and returns its status line. */
async function connectThroughProxy(proxyUrl: string, host: string): Promise<string> {
  const { request } = await import('node:http')
  const u = new URL(proxyUrl)
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: Number(u.port), method: 'CONNECT', path: `${host}:443` })
    req.on('connect', (res, socket) => {
      socket.destroy()
      resolve(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`)
    })
    req.on('response', (res) => resolve(`HTTP/1.1 ${res.statusCode} ${res.statusMessage}`))
    req.on('error', reject)
    req.end()
  })
}
