import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../../twin/index.ts'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const SEED = readFileSync(join(import.meta.dirname, 'fixtures/acr-nginx.yaml'), 'utf8')
const HOURS_AGO = (h: number) => new Date(Date.now() - h * 3_600_000).toISOString()

/** Real Azure honours a new grant on the registry minutes after ARM lists it; the twin does with this knob. */
async function withPropagation<T>(ms: number, body: () => Promise<T>): Promise<T> {
  twin.state.rbacPropagationMs = ms
  try {
    return await body()
  } finally {
    twin.state.rbacPropagationMs = 0
  }
}

describe('a grant that Azure honours minutes later', () => {
  it('attach, import, deploy of the seed waits for the new AcrPull to take effect and ends ready', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await withPropagation(20_000, () =>
      run(
        world,
        {
          ...baseInputs(world, cluster, registry.name),
          mode: 'attach, import, deploy',
          images: 'docker.io/library/nginx:latest => nginx:v1',
          manifests: 'k8s'
        },
        { GITHUB_WORKSPACE: workspace }
      )
    )
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')
    expect(result.outputs.changed).toBe('true')
    // The kubelet really was refused first: the wait was needed, not a formality.
    const events = cluster.kube.list('Event', 'default').map((e: any) => String(e.message))
    expect(events.some((message) => message.includes('401 Unauthorized'))).toBe(true)
    expect(result.log).toMatch(
      new RegExp(
        `waiting for the AcrPull grant created \\d+s ago to take effect on ${registry.name} \\(Azure RBAC propagation can take minutes\\)`
      )
    )
    expect(result.summary).toContain('#### Waited for Azure')
    expect(result.summary).toContain('Azure RBAC propagation can take minutes')
    expectNoSecrets(result)
  }, 90_000)

  it('still fails within seconds, naming the missing role, when the registry was never attached', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const workspace = workspaceWith({ 'k8s/acr-nginx.yaml': SEED })
    const result = await withPropagation(20_000, () =>
      run(
        world,
        { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', timeout: '5m' },
        { GITHUB_WORKSPACE: workspace }
      )
    )
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('failed fast')
    expect(message).toContain(`has no AcrPull on ${registry.name}`)
    expect(message).not.toContain('waiting for')
  })

  it('fails fast and honestly when a grant older than the propagation window is still refused', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId, createdOn: HOURS_AGO(2) })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/nginx:v1`, { replicas: 1 }) })
    // Propagation "longer in rare cases": the two-hour-old grant is listed but not honoured.
    const result = await withPropagation(3 * 3_600_000, () =>
      run(world, { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s' }, { GITHUB_WORKSPACE: workspace })
    )
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('failed fast')
    expect(message).toMatch(/the kubelet identity holds AcrPull at the registry \(granted 2h\d*s? ago\)/)
    expect(message).toContain('tag nginx:v1 exists, yet the registry refuses the node')
    expect(message).not.toContain('waiting for')
  })

  it('says the cause is unknown, and claims nothing, when the registry will not show the action whether the tag exists', async () => {
    // An ABAC-mode registry: the action's Owner role gives it no data-plane reads there.
    const { cluster, registry } = freshPair(world, { roleAssignmentMode: 'AbacRepositoryPermissions' })
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    twin.addRoleAssignment({
      scope: registry.id,
      role: 'Container Registry Repository Reader',
      principalId: cluster.pullPrincipalId,
      createdOn: HOURS_AGO(2)
    })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('web', `${registry.loginServer}/nginx:v1`, { replicas: 1 }) })
    const result = await withPropagation(3 * 3_600_000, () =>
      run(world, { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s' }, { GITHUB_WORKSPACE: workspace })
    )
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('the cause is unknown')
    expect(message).toContain('whether tag nginx:v1 exists could not be checked')
    expect(message).not.toMatch(/tag nginx:v1 exists[,;]/)
    expect(result.summary).toContain('#### Diagnosis (cause unknown)')
  })

  it('check says a fresh grant can pull, noting that Azure may take minutes to honour it', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    const result = await run(world, { ...baseInputs(world, cluster, registry.name), mode: 'check' })
    expect(result.outputs['can-pull']).toBe('true')
    const role = (JSON.parse(result.outputs.reasons!) as Array<{ check: string; ok: unknown; detail: string }>).find(
      (r) => r.check === 'role'
    )!
    expect(role.ok).toBe(true)
    expect(role.detail).toMatch(
      /the AcrPull grant created \d+s ago: Azure RBAC propagation can take minutes before the registry honours it/
    )
  })

  it('check-pull waits for a fresh grant instead of failing, and the probe pulls once it takes effect', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const result = await withPropagation(8_000, () =>
      run(world, { ...baseInputs(world, cluster, registry.name), mode: 'check, attach', 'check-pull': 'true', 'check-image': 'nginx:v1' })
    )
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('Waiting: pod aks-acr-check-')
    const pull = (JSON.parse(result.outputs.reasons!) as Array<{ check: string; ok: unknown; detail: string }>).find(
      (r) => r.check === 'pull'
    )!
    expect(pull).toMatchObject({ ok: true })
    const events = cluster.kube.list('Event', 'default').map((e: any) => String(e.message))
    expect(events.some((message) => message.includes('401 Unauthorized'))).toBe(true)
  }, 60_000)
})
