import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { baseInputs, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

/**
 * What would change anything, as the twin saw it: ARM writes (credential listings are reads),
 * importImage, and Kubernetes writes that are not the server's dry run.
 */
function mutating(since: number) {
  return requestsSince(world, since).filter((r) => {
    if (r.method === 'GET' || r.method === 'HEAD') return false
    if (r.method === 'POST' && /\/(oauth2|github)\b|\/oauth2\/v2\.0\/token$|\/list\w*Credential$/i.test(r.path)) return false
    if (r.host.endsWith('.azmk8s.io')) return r.query.dryRun !== 'All'
    return true
  })
}

describe('dry-run: true changes nothing, in every mode', () => {
  it('attach, import and deploy together: plans everything, sends no mutating request', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:1`) })
    const before = twin.roleAssignments({ scope: registry.id }).length
    const since = twin.requests.length
    const result = await run(
      world,
      {
        ...baseInputs(world, cluster, registry.name),
        mode: 'attach import deploy',
        images: 'nginx:latest => nginx:v1',
        manifests: 'k8s',
        'dry-run': 'true'
      },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(0)
    // The filter below does see the API server's writes: they are there, as dry runs.
    expect(requestsSince(world, since).some((r) => r.method === 'PATCH' && r.host.endsWith('.azmk8s.io') && r.query.dryRun === 'All')).toBe(
      true
    )
    expect(mutating(since).map((r) => `${r.method} ${r.host} ${r.path}`)).toEqual([])
    expect(twin.roleAssignments({ scope: registry.id })).toHaveLength(before)
    expect(twin.tagDigest(registry.loginServer, 'nginx', 'v1')).toBeUndefined()
    expect(cluster.kube.get('Deployment', 'default', 'web')).toBeUndefined()
    expect(result.log).toContain('Dry run: would create AcrPull')
    expect(result.log).toContain('Dry run: would import docker.io/library/nginx:latest')
    expect(result.log).toContain('deployment/web in default would be created (server dry run)')
    expect(result.summary).toContain('would create (dry run)')
    expect(result.summary).toContain('would import (dry run)')
    expect(result.outputs.changed).toBe('false')
  })

  it('detach: lists what it would delete and deletes nothing', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    const since = twin.requests.length
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'detach', 'dry-run': 'true' })
    expect(result.exitCode).toBe(0)
    expect(mutating(since)).toEqual([])
    expect(twin.roleAssignments({ scope: registry.id, principalId: cluster.pullPrincipalId })).toHaveLength(1)
    expect(result.log).toContain('Dry run: would delete AcrPull')
  })

  it('deploy over a live object: shows the field-level diff from the server dry run', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    twin.addImage(registry, 'web:2', { from: 'docker.io/library/nginx:latest' })
    const first = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:1`) })
    expect(
      (await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s' }, { GITHUB_WORKSPACE: first }))
        .exitCode
    ).toBe(0)
    const second = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:2`, { replicas: 3 }) })
    const since = twin.requests.length
    const result = await run(
      world,
      { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', 'dry-run': 'true' },
      { GITHUB_WORKSPACE: second }
    )
    expect(result.exitCode).toBe(0)
    expect(mutating(since)).toEqual([])
    expect(result.log).toContain(
      `spec.template.spec.containers[0].image: "${registry.loginServer}/web:1" → "${registry.loginServer}/web:2"`
    )
    expect(result.log).toContain('spec.replicas: 2 → 3')
    expect((cluster.kube.get('Deployment', 'default', 'web') as any).spec.replicas).toBe(2)
  })

  it('deploy into a namespace the run would create: says what it cannot validate yet', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/web:1`) })
    const since = twin.requests.length
    const result = await run(
      world,
      { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', namespace: 'fresh', 'dry-run': 'true' },
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(0)
    expect(mutating(since)).toEqual([])
    expect(result.log).toContain('namespace/fresh would be created (server dry run)')
    expect(result.log).toContain('not validated by the server: namespace fresh does not exist yet')
    expect(cluster.kube.get('Namespace', undefined, 'fresh')).toBeUndefined()
  })

  it('check with check-pull: the probe pod is only validated', async () => {
    const { cluster, registry } = freshPair(world)
    const since = twin.requests.length
    const result = await run(world, {
      ...baseInputs(world, cluster, registry.name),
      mode: 'check',
      'check-pull': 'true',
      'check-image': 'nginx:v1',
      'dry-run': 'true'
    })
    expect(result.exitCode).toBe(0)
    expect(mutating(since)).toEqual([])
    expect(cluster.kube.list('Pod', 'default')).toEqual([])
  })
})
