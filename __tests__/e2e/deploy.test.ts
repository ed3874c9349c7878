import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'
import { kubeRequest } from '../twin/kube-helpers.ts'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const SEED = readFileSync(join(import.meta.dirname, 'fixtures/acr-nginx.yaml'), 'utf8')

interface Deployed {
  kind: string
  namespace: string
  name: string
  ready: boolean
  replicas: { ready: number; desired: number }
}
const deployed = (outputs: Record<string, string>) => JSON.parse(outputs.deployed ?? '[]') as Deployed[]

function deployInputs(cluster: { name: string; resourceGroup: string }, registry: string, extra: Record<string, string> = {}) {
  return { ...baseInputs(world, cluster, registry), mode: 'deploy', manifests: 'k8s', ...extra }
}

describe('deploy', () => {
  it('runs the seed end to end: attach, import nginx:latest as nginx:v1, deploy acr-nginx.yaml, two pods Running', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await run(
      world,
      { ...deployInputs(cluster, registry.name), mode: 'attach, import, deploy', images: 'docker.io/library/nginx:latest => nginx:v1' },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expect(deployed(result.outputs)).toEqual([
      { kind: 'Deployment', namespace: 'default', name: 'nginx0-deployment', ready: true, replicas: { ready: 2, desired: 2 } }
    ])
    const digest = twin.tagDigest(registry.loginServer, 'nginx', 'v1')!
    const pods = cluster.kube.list('Pod', 'default').filter((p: any) => p.metadata.labels?.app === 'nginx0')
    expect(pods).toHaveLength(2)
    for (const pod of pods as any[]) {
      expect(pod.status.phase).toBe('Running')
      expect(pod.spec.containers[0].image).toBe(`${registry.loginServer}/nginx:v1@${digest}`)
    }
    expect(result.summary).toContain('| Deployment/nginx0-deployment | default | ✅ 2/2 |')
    expect(result.log).toContain('successfully rolled out')
    expectNoSecrets(result)
  })

  it('rolls out several workloads in parallel and reports each', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const workspace = workspaceWith({
      'k8s/a.yaml': deployment('alpha', `${registry.loginServer}/web:1`),
      'k8s/b.yaml': deployment('beta', `${registry.loginServer}/web:1`, { replicas: 3 }),
      'k8s/nested/c.yaml': deployment('gamma', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
    })
    const result = await run(world, deployInputs(cluster, registry.name, { namespace: 'apps' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    expect(deployed(result.outputs).map((d) => [d.name, d.namespace, d.ready, d.replicas.ready])).toEqual(
      expect.arrayContaining([
        ['alpha', 'apps', true, 2],
        ['beta', 'apps', true, 3],
        ['gamma', 'apps', true, 1]
      ])
    )
    expect(cluster.kube.get('Namespace', undefined, 'apps')).toBeDefined()
  })

  it('fails at the first pull error, not at a deadline, when the registry was never attached, naming the missing AcrPull', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await run(world, deployInputs(cluster, registry.name, { timeout: '5m' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    // The pod verdict ended the wait: neither the action's timeout nor the Deployment's progress
    // deadline (600 s by default) was reached. How fast is measured by `npm run bench`.
    expect(errorAnnotation(result.log)).toContain('Rollout of deployment/nginx0-deployment failed fast')
    const progressing = ((cluster.kube.get('Deployment', 'default', 'nginx0-deployment') as any).status.conditions ?? []).find(
      (c: any) => c.type === 'Progressing'
    )
    expect(progressing?.reason).not.toBe('ProgressDeadlineExceeded')
    const message = errorAnnotation(result.log)
    expect(message).toMatch(/ErrImagePull|ImagePullBackOff/)
    expect(message).toContain(
      `the kubelet identity ${cluster.pullPrincipalId} of cluster ${cluster.name} has no AcrPull on ${registry.name}`
    )
    expect(message).toContain('mode: attach')
    expect(message).toContain('401 Unauthorized')
    expect(result.outputs.ready).toBe('false')
    expect(result.summary).toContain('#### Diagnosis')
  })

  it('says which tag does not exist and lists the tags that do', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/nginx:v9`) })
    const result = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain(`tag nginx:v9 does not exist in ${registry.name}; tags in nginx: v1`)
    expect(message).not.toContain('has no AcrPull')
  })

  it('reports a progress deadline exceeded as kubectl does', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'slow:1', { from: 'docker.io/library/nginx:latest' })
    cluster.kube.knobs.pullMs = 8000
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('slow', `${registry.loginServer}/slow:1`, { deadline: 2, replicas: 1 }) })
    const result = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    cluster.kube.knobs.pullMs = 250
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('deployment "slow" exceeded its progress deadline')
  })

  it('changes nothing with dry-run: true, using the server dry run', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const since = twin.requests.length
    const result = await run(world, deployInputs(cluster, registry.name, { 'dry-run': 'true' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    expect(cluster.kube.get('Deployment', 'default', 'nginx0-deployment')).toBeUndefined()
    expect(result.log).toContain('(server dry run)')
    expect(result.outputs.ready).toBe('false')
    const writes = requestsSince(world, since).filter((r) => r.method === 'PATCH')
    expect(writes.length).toBeGreaterThan(0)
    expect(writes.every((r) => r.query.dryRun === 'All')).toBe(true)
  })

  it('refuses to take over fields another manager owns unless force-conflicts is set', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const manifest = deployment('owned', `${registry.loginServer}/web:1`, { replicas: 1 })
    const workspace = workspaceWith({ 'k8s/app.yaml': manifest })
    expect((await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })).exitCode).toBe(0)
    const taken = await kubeRequest(
      twin,
      cluster,
      '/apis/apps/v1/namespaces/default/deployments/owned?fieldManager=other-team&force=true',
      {
        method: 'PATCH',
        token: cluster.kube.tokens.user,
        contentType: 'application/apply-patch+yaml',
        body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'owned' }, spec: { replicas: 3 } }
      }
    )
    expect(taken.status).toBe(200)
    const conflicted = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(conflicted.exitCode).toBe(1)
    expect(errorAnnotation(conflicted.log)).toContain('Conflict')
    expect(errorAnnotation(conflicted.log)).toContain('.spec.replicas')
    expect(errorAnnotation(conflicted.log)).toContain('other-team')
    expect(errorAnnotation(conflicted.log)).toContain('force-conflicts: true')
    const forced = await run(world, deployInputs(cluster, registry.name, { 'force-conflicts': 'true' }), { GITHUB_WORKSPACE: workspace })
    expect(forced.exitCode).toBe(0)
  })

  it('explains an RBAC denial with the Kubernetes message', async () => {
    const { cluster, registry } = freshPair(world)
    cluster.kube.deny({ verb: 'patch', resource: 'deployments' })
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('Forbidden')
    expect(message).toContain('cannot patch resource "deployments" in API group "apps" in the namespace "default"')
  })

  it('reaches an Entra ID cluster with a token for the AKS server application, no kubelogin', async () => {
    const { registry } = freshPair(world)
    const cluster = twin.addCluster({
      subscriptionId: world.subscriptionId,
      resourceGroup: 'rg-aad',
      name: 'aks-aad',
      identity: 'managedIdentity',
      aad: true,
      azureRbac: true
    })
    twin.addRoleAssignment({ scope: cluster.id, role: 'Azure Kubernetes Service RBAC Writer', principalId: world.callerObjectId })
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expectNoSecrets(result)
  })

  it('says admin credentials are disabled on a cluster without local accounts', async () => {
    const { registry } = freshPair(world)
    const cluster = twin.addCluster({
      subscriptionId: world.subscriptionId,
      resourceGroup: 'rg-nolocal',
      name: 'aks-nolocal',
      identity: 'managedIdentity',
      aad: true,
      disableLocalAccounts: true
    })
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await run(world, deployInputs(cluster, registry.name, { admin: 'true' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('Getting static credential is not allowed because this cluster is set to disable local accounts')
    expect(message).toContain("remove 'admin: true'")
  })

  it('rolls a failed rollout back to the previous revision when asked, and says so', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const good = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:1`) })
    expect((await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: good })).exitCode).toBe(0)
    const bad = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:2`) })
    const result = await run(world, deployInputs(cluster, registry.name, { 'rollback-on-failure': 'true' }), { GITHUB_WORKSPACE: bad })
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('deployment/web: rolled back to revision 1')
    const live = cluster.kube.get('Deployment', 'default', 'web') as any
    expect(live.spec.template.spec.containers[0].image).toBe(`${registry.loginServer}/web:1`)
    expect(result.summary).toContain('#### Rollback')
  })

  it('refuses manifests outside the workspace before any request', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': SEED })
    const since = twin.requests.length
    const result = await run(world, deployInputs(cluster, registry.name, { manifests: '../../etc/passwd' }), {
      GITHUB_WORKSPACE: workspace
    })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Input 'manifests'")
    expect(errorAnnotation(result.log)).toContain('outside the workspace')
    expect(requestsSince(world, since)).toEqual([])
  })
})

describe('deploy verifies every workload kind', () => {
  it('waits for a StatefulSet, a DaemonSet and a Job together with a Deployment', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const image = `${registry.loginServer}/web:1`
    const pod = (app: string) =>
      `    metadata:\n      labels:\n        app: ${app}\n    spec:\n      containers:\n      - name: main\n        image: ${image}\n`
    const manifests = [
      deployment('front', image, { replicas: 2 }),
      `apiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  serviceName: db\n  replicas: 2\n  selector:\n    matchLabels:\n      app: db\n  template:\n${pod('db')}`,
      `apiVersion: apps/v1\nkind: DaemonSet\nmetadata:\n  name: agent\nspec:\n  selector:\n    matchLabels:\n      app: agent\n  template:\n${pod('agent')}`,
      `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: main\n        image: ${image}\n`
    ].join('---\n')
    const workspace = workspaceWith({ 'k8s/all.yaml': manifests })
    const result = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    const kinds = deployed(result.outputs).map((d) => `${d.kind}/${d.name}:${d.ready}`)
    expect(kinds.sort()).toEqual(['DaemonSet/agent:true', 'Deployment/front:true', 'Job/migrate:true', 'StatefulSet/db:true'])
    expect(result.log).toContain('job/migrate: job "migrate" completed')
  })

  it('fails fast on an image name that cannot be parsed and on a crashing container', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const invalid = await run(world, deployInputs(cluster, registry.name), {
      GITHUB_WORKSPACE: workspaceWith({ 'k8s/a.yaml': deployment('bad-name', 'nginx:1.27:extra') })
    })
    expect(invalid.exitCode).toBe(1)
    expect(errorAnnotation(invalid.log)).toContain('InvalidImageName')
    expect(errorAnnotation(invalid.log)).toContain('is not a valid image reference')

    // Without a readiness probe a container is ready the moment it starts, so, as with kubectl, a
    // crash can only fail the rollout when availability needs the pod to stay up (minReadySeconds).
    const crashing = await run(world, deployInputs(cluster, registry.name), {
      GITHUB_WORKSPACE: workspaceWith({
        'k8s/a.yaml': deployment('crasher', `${registry.loginServer}/web:1`, {
          replicas: 1,
          command: ['sh', '-c', 'exit 1'],
          minReadySeconds: 10
        })
      })
    })
    expect(crashing.exitCode).toBe(1)
    expect(errorAnnotation(crashing.log)).toContain('CrashLoopBackOff')
    expect(errorAnnotation(crashing.log)).toContain('keeps crashing')
  })
})
