import { describe, expect, it } from '@jest/globals'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Twin } from '../../twin/index.ts'
import { runPost } from './run-action.js'
import { baseInputs, freshPair, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

const KUBECTL = '/usr/bin/kubectl'
let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

function kubectl(kubeconfig: string, args: string[], timeoutMs = 60_000): Promise<{ code: number; out: string }> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: mkdtempSync(join(tmpdir(), 'kubectl-home-')),
    HTTPS_PROXY: twin.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost'
  }
  return new Promise((resolve) => {
    execFile(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env, timeout: timeoutMs }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out: `${stdout}${stderr}` })
    )
  })
}

/**
 * The same scenario judged twice: by the action (deploy and verify), and by kubectl
 * (`rollout status`) with the kubeconfig the action hands out. Their verdicts must agree; only the
 * time to reach a failure differs.
 */
async function bothVerdicts(image: string, setup: (pair: ReturnType<typeof freshPair>) => void) {
  const pair = freshPair(world)
  setup(pair)
  const { cluster, registry } = pair
  const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
  const workspace = workspaceWith({
    'k8s/app.yaml': deployment('web', image.replace('<registry>', registry.loginServer), { replicas: 2, deadline: 4 })
  })
  const env = { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp }
  const action = await run(
    world,
    { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', 'kubeconfig-output': 'true' },
    env
  )
  const kubeconfig = action.outputs.kubeconfig!
  expect(existsSync(kubeconfig)).toBe(true)
  const status = await kubectl(kubeconfig, ['rollout', 'status', 'deployment/web', '--timeout=60s'])
  return { action, status, kubeconfig, env }
}

describe('kubectl and the action agree', () => {
  it('on a good image: both say rolled out, and the post step deletes the kubeconfig', async () => {
    const { action, status, kubeconfig, env } = await bothVerdicts('<registry>/web:1', ({ cluster, registry }) => {
      twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
      twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    })
    expect(action.exitCode).toBe(0)
    expect(status.code).toBe(0)
    expect(status.out).toContain('deployment "web" successfully rolled out')
    expect(readFileSync(kubeconfig, 'utf8')).toContain('server: https://')
    const post = await runPost(action.state, { ...twin.env(), ...env })
    expect(post.exitCode).toBe(0)
    expect(existsSync(kubeconfig)).toBe(false)
  })

  it('on a registry never attached: both fail, the action at the first pull error, kubectl at the deadline', async () => {
    const { action, status } = await bothVerdicts('<registry>/web:1', ({ registry }) => {
      twin.addImage(registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
    })
    expect(action.exitCode).toBe(1)
    expect(action.log).toMatch(/ErrImagePull|ImagePullBackOff/)
    expect(status.code).not.toBe(0)
    expect(status.out).toContain('deployment "web" exceeded its progress deadline')
  })

  it('on a tag never imported: both fail', async () => {
    const { action, status } = await bothVerdicts('<registry>/web:404', ({ cluster, registry }) => {
      twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    })
    expect(action.exitCode).toBe(1)
    expect(action.log).toContain('does not exist in')
    expect(status.code).not.toBe(0)
  })

  it('kubectl applies the seed manifest (client-side, validated against /openapi/v3) to the same cluster', async () => {
    const { cluster, registry } = freshPair(world)
    twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
    twin.addImage(registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
    const runnerTemp = mkdtempSync(join(tmpdir(), 'runner-temp-'))
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('first', `${registry.loginServer}/nginx:v1`, { replicas: 1 }) })
    const action = await run(
      world,
      { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s', 'kubeconfig-output': 'true' },
      { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp }
    )
    expect(action.exitCode).toBe(0)
    const seed = readFileSync(join(import.meta.dirname, 'fixtures/acr-nginx.yaml'), 'utf8').replace(
      '<acr-name>.azurecr.io',
      registry.loginServer
    )
    const file = join(runnerTemp, 'seed.yaml')
    await import('node:fs/promises').then((fs) => fs.writeFile(file, seed))
    const applied = await kubectl(action.outputs.kubeconfig!, ['apply', '-f', file])
    expect(applied.code).toBe(0)
    expect(applied.out).toContain('deployment.apps/nginx0-deployment created')
    const status = await kubectl(action.outputs.kubeconfig!, ['rollout', 'status', 'deployment/nginx0-deployment', '--timeout=60s'])
    expect(status.out).toContain('successfully rolled out')
  })
})
