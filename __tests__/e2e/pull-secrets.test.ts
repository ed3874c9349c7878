import { describe, expect, it } from '@jest/globals'
import type { Twin } from '../../twin/index.ts'
import { QUAY_PRIVATE } from '../../twin/registry/catalog.ts'
import type { ActionRun } from './run-action.js'
import { errorAnnotation } from './run-action.js'
import { baseInputs, expectNoSecrets, freshPair, requestsSince, run, type World } from './world.js'
import { withTwin } from './with-twin.js'
import { deployment, workspaceWith } from './workspace.js'

let twin: Twin
let world: World
withTwin((started) => ({ twin, world } = started))

const PRIVATE_IMAGE = QUAY_PRIVATE.ref
const LOGIN = `quay.io ${QUAY_PRIVATE.username} ${QUAY_PRIVATE.password}`

/** Every form in which a password could leak: as typed, in a basic `auth`, in the secret's base64 data. */
function leakForms(password: string): string[] {
  const auth = Buffer.from(`${QUAY_PRIVATE.username}:${password}`).toString('base64')
  return [password, auth, Buffer.from(password).toString('base64')]
}

/** The log, the outputs and the summary must not hold the password in any form; the runner's mask commands are not shown. */
function expectPasswordNowhere(result: ActionRun, password: string): void {
  expectNoSecrets(result, leakForms(password))
  // A mask command proves the runner was told to hide it; nothing else may carry it.
  expect(result.log).toContain(`::add-mask::${password}`)
}

function deployInputs(cluster: { name: string; resourceGroup: string }, registry: string, extra: Record<string, string> = {}) {
  return { ...baseInputs(world, cluster, registry), mode: 'deploy', manifests: 'k8s', ...extra }
}

describe('registry-logins: pull secrets for registries outside Azure', () => {
  it('a Deployment from a private quay.io repository reaches ready with registry-logins; the password is nowhere', async () => {
    const { cluster, registry } = freshPair(world)
    // In a namespace the run creates: the namespace first, then the secret, then the workload.
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 2 }) })
    const result = await run(world, deployInputs(cluster, registry.name, { 'registry-logins': LOGIN, namespace: 'apps' }), {
      GITHUB_WORKSPACE: workspace
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs.ready).toBe('true')

    const secrets = (cluster.kube.list('Secret', 'apps') as any[]).filter((s) => s.type === 'kubernetes.io/dockerconfigjson')
    expect(secrets).toHaveLength(1)
    const [secret] = secrets
    expect(secret.metadata.name).toMatch(/^aks-acr-pull-quay-io-[0-9a-f]{8}$/)
    const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString('utf8'))
    expect(config.auths['quay.io']).toMatchObject({ username: QUAY_PRIVATE.username, password: QUAY_PRIVATE.password })
    const live = cluster.kube.get('Deployment', 'apps', 'private') as any
    expect(live.spec.template.spec.imagePullSecrets).toEqual([{ name: secret.metadata.name }])
    // Server-side applied by the action, like every other object it sends.
    expect(secret.metadata.managedFields.map((f: any) => `${f.manager}/${f.operation}`)).toContain('aks-acr-action/Apply')
    expect(result.log).toContain(`secret/${secret.metadata.name} in apps created`)
    expectPasswordNowhere(result, QUAY_PRIVATE.password)
  })

  it("without a login, fails fast naming the missing pull secret, with the node's own error", async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }) })
    const result = await run(world, deployInputs(cluster, registry.name, { timeout: '5m' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toContain('Rollout of deployment/private failed fast')
    expect(message).toContain('the pod has no image pull secret for quay.io')
    expect(message).toContain("add a line 'quay.io USERNAME PASSWORD' to 'registry-logins'")
    expect(message).toContain('pull access denied, repository does not exist or may require authorization')
    const progressing = ((cluster.kube.get('Deployment', 'default', 'private') as any).status.conditions ?? []).find(
      (c: any) => c.type === 'Progressing'
    )
    expect(progressing?.reason).not.toBe('ProgressDeadlineExceeded')
    expect(result.summary).toContain('#### Diagnosis')
  })

  it('a re-run with the login after a run without it rolls out, not failed by the pods of the failed rollout', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('retry', PRIVATE_IMAGE, { replicas: 2 }) })
    const without = await run(world, deployInputs(cluster, registry.name), { GITHUB_WORKSPACE: workspace })
    expect(without.exitCode).toBe(1)
    expect(errorAnnotation(without.log)).toContain('the pod has no image pull secret for quay.io')
    const withLogin = await run(world, deployInputs(cluster, registry.name, { 'registry-logins': LOGIN }), { GITHUB_WORKSPACE: workspace })
    expect(errorAnnotation(withLogin.log)).toBe('')
    expect(withLogin.exitCode).toBe(0)
    expect(withLogin.outputs.ready).toBe('true')
  })

  it("with a wrong password, says the registry refused the login in the action's secret, and prints neither password", async () => {
    const { cluster, registry } = freshPair(world)
    const wrong = 'not-the-robot-token-7f3a'
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }) })
    const result = await run(
      world,
      deployInputs(cluster, registry.name, { 'registry-logins': `quay.io ${QUAY_PRIVATE.username} ${wrong}` }),
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(1)
    const message = errorAnnotation(result.log)
    expect(message).toMatch(/quay\.io refused the login in image pull secret aks-acr-pull-quay-io-[0-9a-f]{8} \(from 'registry-logins'\)/)
    expect(message).toContain('401 UNAUTHORIZED')
    expectPasswordNowhere(result, wrong)
    expectNoSecrets(result, leakForms(QUAY_PRIVATE.password))
  })

  it('names a pull secret that does not exist in the namespace (pull-secrets)', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }) })
    const result = await run(world, deployInputs(cluster, registry.name, { 'pull-secrets': 'regcred' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain('its image pull secret regcred does not exist in namespace default')
    expect(errorAnnotation(result.log)).toContain('FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (regcred)')
  })

  it("pull-secrets adds existing secrets to every workload, as k8s-deploy's imagepullsecrets does", async () => {
    const { cluster, registry } = freshPair(world)
    const config = JSON.stringify({
      auths: { 'quay.io': { auth: Buffer.from(`${QUAY_PRIVATE.username}:${QUAY_PRIVATE.password}`).toString('base64') } }
    })
    cluster.kube.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'default' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(config).toString('base64') }
    })
    const workspace = workspaceWith({
      'k8s/a.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }),
      'k8s/b.yaml': deployment('public', 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 })
    })
    const result = await run(world, deployInputs(cluster, registry.name, { 'pull-secrets': 'regcred' }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    for (const name of ['private', 'public']) {
      expect((cluster.kube.get('Deployment', 'default', name) as any).spec.template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }])
    }
  })

  it("dry-run: the diff of a changed login says only that the secret's data changes", async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }) })
    expect(
      (await run(world, deployInputs(cluster, registry.name, { 'registry-logins': LOGIN }), { GITHUB_WORKSPACE: workspace })).exitCode
    ).toBe(0)
    const rotated = 'rotated-robot-token-91c2'
    const since = twin.requests.length
    const result = await run(
      world,
      deployInputs(cluster, registry.name, { 'registry-logins': `quay.io ${QUAY_PRIVATE.username} ${rotated}`, 'dry-run': 'true' }),
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /secret\/aks-acr-pull-quay-io-[0-9a-f]{8} in default would change \(server dry run\):\n {2}data\.\.dockerconfigjson: "\*\*\* \(before\)" → "\*\*\* \(after\)"/
    )
    expect(result.summary).toContain('data..dockerconfigjson: "*** (before)" → "*** (after)"')
    expectPasswordNowhere(result, rotated)
    expectNoSecrets(result, leakForms(QUAY_PRIVATE.password))
    expect(
      requestsSince(world, since).filter((r) => r.method === 'PATCH' && r.host.endsWith('.azmk8s.io') && r.query.dryRun !== 'All')
    ).toEqual([])
  })

  it('through the AKS run-command API (a private cluster): the secret is a stage of the same apply, and the pods pull with it', async () => {
    const { cluster, registry } = freshPair(world, { cluster: { privateCluster: true } })
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE, { replicas: 1 }) })
    const commandsBefore = twin.state.commandRuns.length
    const result = await run(world, deployInputs(cluster, registry.name, { 'registry-logins': LOGIN }), { GITHUB_WORKSPACE: workspace })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('through the AKS run-command API')
    expect((cluster.kube.get('Deployment', 'default', 'private') as any).spec.template.spec.imagePullSecrets).toEqual([
      { name: expect.stringMatching(/^aks-acr-pull-quay-io-/) }
    ])
    expectPasswordNowhere(result, QUAY_PRIVATE.password)
    // AKS keeps each command's logs for anyone with commandResults/read: the secret's data is not in them.
    const logs = twin.state.commandRuns
      .slice(commandsBefore)
      .map((r) => r.logs ?? '')
      .join('\n')
    expect(logs).toContain('secret-metadata default aks-acr-pull-quay-io-')
    expect(logs).not.toMatch(/"\.dockerconfigjson"\s*:/)
    for (const leak of leakForms(QUAY_PRIVATE.password)) expect(logs).not.toContain(leak)
  }, 90_000)

  it('refuses a line that is not SERVER USERNAME PASSWORD by its number, without quoting it', async () => {
    const { cluster, registry } = freshPair(world)
    const workspace = workspaceWith({ 'k8s/app.yaml': deployment('private', PRIVATE_IMAGE) })
    const since = twin.requests.length
    const result = await run(
      world,
      deployInputs(cluster, registry.name, { 'registry-logins': `${LOGIN}\nghcr.io octocat secret-with space` }),
      { GITHUB_WORKSPACE: workspace }
    )
    expect(result.exitCode).toBe(1)
    expect(errorAnnotation(result.log)).toContain("Input 'registry-logins': line 2 has 4 field(s)")
    expectNoSecrets(result, [QUAY_PRIVATE.password, 'secret-with'])
    expect(requestsSince(world, since)).toEqual([])
  })
})
