import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { baseInputs, freshPair, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const SHA = '3f786850e387550fdab836ed7e6dc881de23001b'

/** What the runner sets for every job: the run these annotations point back to. */
function runner(runId: string, attempt = '1'): Record<string, string> {
  return {
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'octo-org/octo-app',
    GITHUB_RUN_ID: runId,
    GITHUB_RUN_ATTEMPT: attempt,
    GITHUB_SHA: SHA,
    GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/deploy.yml@refs/heads/main',
    GITHUB_ACTOR: 'octocat'
  }
}

const CONFIG = `apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  greeting: hello
`

describe('annotations: every applied object says which run put it there', () => {
  it('annotates the objects, never their pod templates, and a re-run with a new run ID makes no new ReplicaSet', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:1`), 'k8s/config.yaml': CONFIG })
    const inputs = { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', namespace: 'shop' }

    const first = await run(world, inputs, { GITHUB_WORKSPACE: workspace, ...runner('7001') })
    expect(first.exitCode).toBe(0)
    const expected = {
      'aks-acr-action/run-url': 'https://github.com/octo-org/octo-app/actions/runs/7001',
      'aks-acr-action/run-attempt': '1',
      'aks-acr-action/repository': 'octo-org/octo-app',
      'aks-acr-action/commit': SHA,
      'aks-acr-action/workflow-ref': 'octo-org/octo-app/.github/workflows/deploy.yml@refs/heads/main',
      'aks-acr-action/actor': 'octocat'
    }
    const web = cluster.kube.get('Deployment', 'shop', 'web') as any
    expect(web.metadata.annotations).toMatchObject(expected)
    expect(web.spec.template.metadata.annotations ?? {}).toEqual({})
    expect((cluster.kube.get('ConfigMap', 'shop', 'web-config') as any).metadata.annotations).toMatchObject(expected)
    expect((cluster.kube.get('Namespace', undefined, 'shop') as any).metadata.annotations).toMatchObject(expected)
    for (const pod of cluster.kube.list('Pod', 'shop') as any[]) {
      expect(Object.keys(pod.metadata.annotations ?? {}).filter((key) => key.startsWith('aks-acr-action/'))).toEqual([])
    }
    expect(first.summary).toContain(
      `| Run | [octo-org/octo-app run 7001](https://github.com/octo-org/octo-app/actions/runs/7001) (commit \`${SHA.slice(0, 12)}\` by octocat) |`
    )

    const generation = web.metadata.generation
    const replicaSets = (cluster.kube.list('ReplicaSet', 'shop') as any[]).map((rs) => rs.metadata.name)
    expect(replicaSets).toHaveLength(1)
    const second = await run(world, inputs, { GITHUB_WORKSPACE: workspace, ...runner('7002', '2') })
    expect(second.exitCode).toBe(0)
    const after = cluster.kube.get('Deployment', 'shop', 'web') as any
    expect(after.metadata.annotations).toMatchObject({
      'aks-acr-action/run-url': 'https://github.com/octo-org/octo-app/actions/runs/7002',
      'aks-acr-action/run-attempt': '2'
    })
    expect(after.metadata.generation).toBe(generation)
    expect((cluster.kube.list('ReplicaSet', 'shop') as any[]).map((rs) => rs.metadata.name)).toEqual(replicaSets)
    expect(second.summary).toContain('[octo-org/octo-app run 7002, attempt 2](https://github.com/octo-org/octo-app/actions/runs/7002)')
  })

  it('annotate: false applies none, and takes back the ones an earlier run applied', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/config.yaml': CONFIG })
    const inputs = { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s' }
    expect((await run(world, inputs, { GITHUB_WORKSPACE: workspace, ...runner('8001') })).exitCode).toBe(0)
    expect(Object.keys((cluster.kube.get('ConfigMap', 'default', 'web-config') as any).metadata.annotations)).toContain(
      'aks-acr-action/run-url'
    )
    const off = await run(world, { ...inputs, annotate: 'false' }, { GITHUB_WORKSPACE: workspace, ...runner('8002') })
    expect(off.exitCode).toBe(0)
    const annotations = (cluster.kube.get('ConfigMap', 'default', 'web-config') as any).metadata.annotations ?? {}
    expect(Object.keys(annotations).filter((key) => key.startsWith('aks-acr-action/'))).toEqual([])
  })

  it('outside a runner, claims no run: no annotation, no run in the summary', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/config.yaml': CONFIG })
    const result = await run(
      world,
      { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s' },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(0)
    expect((cluster.kube.get('ConfigMap', 'default', 'web-config') as any).metadata.annotations ?? {}).toEqual({})
    expect(result.summary).not.toContain('| Run |')
  })
})
