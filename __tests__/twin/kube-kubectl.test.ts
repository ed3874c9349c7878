import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { fetchKubeconfig, kubectlFor, nginxManifest, eventually } from './kube-helpers.ts'
import type { Kubectl } from './kube-helpers.ts'

const S = SCENARIO

/** kubectl v1.32 is the judge: every command here runs the real binary against the cluster's API server. */
describe('kubectl against a twin AKS cluster (local accounts)', () => {
  let h: Harness
  let k: Kubectl
  let acr: string
  beforeAll(async () => {
    h = await startSeeded()
    const { cluster, registry } = h.scenario
    acr = registry.loginServer
    h.twin.addImage(registry, 'nginx:v1')
    h.twin.addImage(registry, 'nginx:v2')
    h.twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    k = await kubectlFor(h.twin, await fetchKubeconfig(h.twin, credential(h.twin), cluster))
  })
  afterAll(async () => {
    await k?.close()
    await h.close()
  })

  it('kubectl apply (client-side, strict validation) and rollout status succeed for the seed Deployment', async () => {
    const f = await k.write('nginx.yaml', nginxManifest({ image: `${acr}/nginx:v1` }))
    const applied = await k.run(['apply', '-f', f])
    expect(applied).toMatchObject({ code: 0, stdout: 'deployment.apps/nginx created\n' })
    const status = await k.run(['rollout', 'status', 'deployment/nginx', '--timeout=30s'])
    expect(status.code).toBe(0)
    expect(status.stdout).toContain('deployment "nginx" successfully rolled out')
    const again = await k.run(['apply', '-f', f])
    expect(again.stdout).toBe('deployment.apps/nginx unchanged\n')
  })

  it('kubectl get prints the server tables (deploy, pods)', async () => {
    const out = await k.run(['get', 'deploy,pods'])
    expect(out.code).toBe(0)
    const lines = out.stdout.split('\n')
    expect(lines[0]).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/)
    expect(lines[1]).toMatch(/^deployment\.apps\/nginx\s+2\/2\s+2\s+2\s+\d+s$/)
    expect(out.stdout).toMatch(/NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/)
    expect(out.stdout.match(/pod\/nginx-[a-z0-9]{10}-[a-z0-9]{5}\s+1\/1\s+Running\s+0\s+\d+s/g)).toHaveLength(2)
  })

  it("strict validation rejects an unknown field with the server's words", async () => {
    const f = await k.write('typo.yaml', nginxManifest({ image: `${acr}/nginx:v1`, name: 'typo' }).replace('replicas: 2', 'replica: 2'))
    const out = await k.run(['apply', '-f', f])
    expect(out.code).not.toBe(0)
    expect(out.stderr).toContain(
      'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.replica"'
    )
  })

  it('an image that cannot be pulled fails rollout status with ProgressDeadlineExceeded; pods show why', async () => {
    const f = await k.write('bad.yaml', nginxManifest({ image: `${acr}/nginx:v9`, deadline: 3 }))
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    const status = await k.run(['rollout', 'status', 'deployment/nginx', '--timeout=30s'])
    expect(status.code).toBe(1)
    expect(status.stderr).toContain('error: deployment "nginx" exceeded its progress deadline')
    const pods = await k.run(['get', 'pods', '-l', 'app=nginx', '-o', 'json'])
    const waiting = JSON.parse(pods.stdout)
      .items.flatMap((p: any) => p.status.containerStatuses ?? [])
      .map((c: any) => c.state.waiting?.reason)
      .filter(Boolean)
    expect(waiting.some((r: string) => r === 'ErrImagePull' || r === 'ImagePullBackOff')).toBe(true)
    const events = await k.run(['get', 'events', '--field-selector', 'reason=Failed', '-o', 'json'])
    const messages = JSON.parse(events.stdout).items.map((e: any) => e.message)
    expect(messages).toContain(
      `Failed to pull image "${acr}/nginx:v9": failed to pull and unpack image "${acr}/nginx:v9": failed to resolve reference "${acr}/nginx:v9": ${acr}/nginx:v9: not found`
    )
    expect(messages).toContain('Error: ErrImagePull')
  })

  it('kubectl rollout undo goes back to the previous ReplicaSet', async () => {
    const undo = await k.run(['rollout', 'undo', 'deployment/nginx'])
    expect(undo).toMatchObject({ code: 0, stdout: 'deployment.apps/nginx rolled back\n' })
    expect((await k.run(['rollout', 'status', 'deployment/nginx', '--timeout=30s'])).code).toBe(0)
    const rs = JSON.parse((await k.run(['get', 'rs', '-l', 'app=nginx', '-o', 'json'])).stdout).items
    expect(rs).toHaveLength(2)
    const live = rs.find((r: any) => r.spec.replicas === 2)
    expect(live.spec.template.spec.containers[0].image).toBe(`${acr}/nginx:v1`)
    expect(live.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3')
  })

  it('server-side apply: conflicts name the other manager; --force-conflicts takes the field', async () => {
    const f = await k.write('ssa.yaml', nginxManifest({ image: `${acr}/nginx:v1`, replicas: 3 }))
    const out = await k.run(['apply', '--server-side', '--field-manager=deployer', '-f', f])
    expect(out.code).toBe(1)
    expect(out.stderr).toContain(
      'error: Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas'
    )
    const forced = await k.run(['apply', '--server-side', '--field-manager=deployer', '--force-conflicts', '-f', f])
    expect(forced).toMatchObject({ code: 0, stdout: 'deployment.apps/nginx serverside-applied\n' })
    const d = JSON.parse((await k.run(['get', 'deploy', 'nginx', '-o', 'json', '--show-managed-fields'])).stdout)
    expect(d.spec.replicas).toBe(3)
    const deployer = d.metadata.managedFields.find((m: any) => m.manager === 'deployer')
    expect(deployer).toMatchObject({ operation: 'Apply', apiVersion: 'apps/v1', fieldsType: 'FieldsV1' })
    expect(deployer.fieldsV1['f:spec']['f:replicas']).toEqual({})
    expect(deployer.fieldsV1['f:spec']['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:image']).toEqual({})
    const csa = d.metadata.managedFields.find((m: any) => m.manager === 'kubectl-client-side-apply')
    expect(csa.fieldsV1['f:spec']['f:replicas']).toBeUndefined()
    expect((await k.run(['rollout', 'status', 'deployment/nginx', '--timeout=30s'])).code).toBe(0)
  })

  it('a deny rule answers the RBAC 403', async () => {
    h.scenario.cluster.kube.deny({ verb: 'patch', resource: 'deployments', namespace: 'default' })
    try {
      const f = await k.write('v2.yaml', nginxManifest({ image: `${acr}/nginx:v2`, replicas: 3 }))
      const out = await k.run(['apply', '--server-side', '--field-manager=deployer', '-f', f])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(
        'Error from server (Forbidden): deployments.apps "nginx" is forbidden: User "clusterUser" cannot patch resource "deployments" in API group "apps" in the namespace "default"'
      )
    } finally {
      h.scenario.cluster.kube.clearDenies()
    }
  })

  it('StatefulSet, DaemonSet and Job: rollout status and wait --for=condition=complete', async () => {
    const f = await k.write(
      'workloads.yaml',
      `apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  serviceName: web
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: busybox:latest
        command: ["sh", "-c", "sleep infinity"]
---
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
spec:
  backoffLimit: 2
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox:latest
        command: ["sh", "-c", "echo migrated"]
`
    )
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    const sts = await k.run(['rollout', 'status', 'statefulset/web', '--timeout=30s'])
    expect(sts.code).toBe(0)
    expect(sts.stdout).toContain('partitioned roll out complete: 3 new pods have been updated...')
    const ds = await k.run(['rollout', 'status', 'daemonset/agent', '--timeout=30s'])
    expect(ds).toMatchObject({ code: 0 })
    expect(ds.stdout).toContain('daemon set "agent" successfully rolled out')
    const job = await k.run(['wait', '--for=condition=complete', 'job/migrate', '--timeout=30s'])
    expect(job).toMatchObject({ code: 0, stdout: 'job.batch/migrate condition met\n' })
    const pods = JSON.parse((await k.run(['get', 'pods', '-o', 'json'])).stdout).items.map((p: any) => p.metadata.name)
    expect(pods).toEqual(expect.arrayContaining(['web-0', 'web-1', 'web-2']))
    expect(pods.filter((n: string) => n.startsWith('agent-'))).toHaveLength(3)
  })

  it('a crashing container goes CrashLoopBackOff with restarts', async () => {
    const f = await k.write(
      'crash.yaml',
      nginxManifest({ image: 'busybox:latest', name: 'crash', replicas: 1 }).replace(
        'ports:\n        - containerPort: 80',
        'command: ["sh", "-c", "exit 1"]'
      )
    )
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    const pod = await eventually(() =>
      h.scenario.cluster.kube
        .list('Pod', 'default')
        .find(
          (p) =>
            p.metadata.labels?.app === 'crash' &&
            p.status?.containerStatuses?.[0]?.state?.waiting?.reason === 'CrashLoopBackOff' &&
            p.status.containerStatuses[0].restartCount >= 1
        )
    )
    expect(pod.status.containerStatuses[0].lastState.terminated).toMatchObject({ exitCode: 1, reason: 'Error' })
    expect(pod.status.containerStatuses[0].state.waiting.message).toMatch(
      new RegExp(`^back-off 10s restarting failed container=nginx pod=${pod.metadata.name}_default\\(${pod.metadata.uid}\\)$`)
    )
    const table = await k.run(['get', 'pod', pod.metadata.name])
    expect(table.stdout).toMatch(/CrashLoopBackOff|Error/)
  })

  it('kubectl scale uses the scale subresource', async () => {
    const out = await k.run(['scale', 'deployment/nginx', '--replicas=1'])
    expect(out).toMatchObject({ code: 0, stdout: 'deployment.apps/nginx scaled\n' })
    await eventually(() => h.scenario.cluster.kube.get('Deployment', 'default', 'nginx')?.status?.replicas === 1)
    expect(h.twin.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/deployments/nginx/scale'))).toBe(true)
  })

  it('a bad token gets 401; kubectl, failing at discovery, words it its own way', async () => {
    const bad = await kubectlFor(
      h.twin,
      (await fetchKubeconfig(h.twin, credential(h.twin), h.scenario.cluster)).replace(/token: \S+/, 'token: nope')
    )
    try {
      const out = await bad.run(['get', 'pods'])
      expect(out.code).toBe(1)
      expect(out.stderr).toContain(
        'error: You must be logged in to the server (the server has asked for the client to provide credentials)'
      )
    } finally {
      await bad.close()
    }
  })
})

describe('kubectl against an Entra ID cluster (Azure RBAC)', () => {
  let h: Harness
  beforeAll(async () => {
    h = await startSeeded()
  })
  afterAll(async () => {
    await h.close()
  })

  it('user kubeconfig is the kubelogin exec plugin; an Entra token for the AKS server app works with an AKS RBAC role', async () => {
    const c = h.twin.addCluster({
      subscriptionId: S.SUB,
      resourceGroup: S.RESOURCE_GROUP,
      name: 'aadCluster',
      identity: 'managedIdentity',
      aad: true,
      azureRbac: true,
      disableLocalAccounts: true,
      location: 'westeurope'
    })
    const cred = credential(h.twin)
    const kc = await fetchKubeconfig(h.twin, cred, c)
    expect(kc).toContain('      command: kubelogin\n')
    expect(kc).toContain(`      - --server-id\n      - 6dae42f8-4368-4678-94ff-3960e28e3630\n`)
    expect(kc).toContain(`server: https://${c.fqdn}:443`)
    expect(c.fqdn).toMatch(/\.hcp\.westeurope\.azmk8s\.io$/)
    const token = (await cred.getToken('6dae42f8-4368-4678-94ff-3960e28e3630/.default'))!.token
    const k = await kubectlFor(h.twin, kc.replace(/ {4}exec:[\s\S]*$/, `    token: ${token}\n`))
    try {
      const denied = await k.run(['get', 'pods'])
      expect(denied.code).toBe(1)
      expect(denied.stderr).toContain(
        `Error from server (Forbidden): pods is forbidden: User "${S.APP_OBJECT_ID}" cannot list resource "pods" in API group "" in the namespace "default": User does not have access to the resource in Azure. Update role assignment to allow access.`
      )
      h.twin.addRoleAssignment({ scope: c.id, role: 'Azure Kubernetes Service RBAC Writer', principalId: S.APP_OBJECT_ID })
      const ok = await k.run(['get', 'pods'])
      expect(ok).toMatchObject({ code: 0, stderr: 'No resources found in default namespace.\n' })
    } finally {
      await k.close()
    }
  })
})
