import { describe, expect, it } from '@jest/globals'
import type { KubeObject, Manifest } from '../../src/kube/kube-object.js'
import { diffObjects, describeChange } from '../../src/kube/object-diff.js'
import { planDeploy } from '../../src/plan/deploy.js'
import { dockerConfigJson, loginSecrets, pullSecretName, servesImage, withImagePullSecrets } from '../../src/plan/pull-secrets.js'
import { annotate, runAnnotations } from '../../src/plan/run-annotations.js'
import { readRunIdentity } from '../../src/settings/run-identity.js'
import { parseRegistryLogins } from '../../src/settings/registry-logins.js'
import { refusal, settingsFor } from './fixtures.js'

const QUAY = { server: 'quay.io', username: 'contoso+deployer', password: 'quay-robot-token' }
const HUB = { server: 'docker.io', username: 'octocat', password: 'hub-token' }

function workload(kind: string, name: string, images: string[], namespace?: string): KubeObject {
  const pod = { containers: images.map((image, i) => ({ name: `c${i}`, image })) }
  const spec =
    kind === 'Pod'
      ? pod
      : kind === 'CronJob'
        ? { schedule: '@daily', jobTemplate: { spec: { template: { spec: pod } } } }
        : { template: { metadata: { labels: { app: name } }, spec: pod } }
  return { apiVersion: 'v1', kind, metadata: { name, ...(namespace ? { namespace } : {}) }, spec }
}
const manifests = (...objects: KubeObject[]): Manifest[] => objects.map((object, i) => ({ origin: `k8s.yaml#${i + 1}`, object }))
const pullSecretsOf = (object: KubeObject) => {
  const spec =
    object.kind === 'CronJob'
      ? (object.spec as any).jobTemplate.spec.template.spec
      : object.kind === 'Pod'
        ? object.spec
        : (object.spec as any).template.spec
  return spec.imagePullSecrets
}

describe('registry-logins, pull-secrets and annotate inputs', () => {
  it('reads one login per line, servers as the kubelet keys them', () => {
    expect(parseRegistryLogins('quay.io robot tok1\n\n  https://index.docker.io/v1/\toctocat  tok2 \nGHCR.io/octo-org me tok3')).toEqual([
      { server: 'quay.io', username: 'robot', password: 'tok1' },
      { server: 'docker.io', username: 'octocat', password: 'tok2' },
      { server: 'ghcr.io/octo-org', username: 'me', password: 'tok3' }
    ])
  })

  it.each([
    ['quay.io s3cr3t', 'line 1 has 2 field(s)'],
    ['quay.io robot s3cr3t\nquay.io other s3cr3t', 'line 2 repeats server quay.io of line 1'],
    ['quay.io robot s3cr 3t', 'line 1 has 4 field(s)'],
    ['not_a_host! robot s3cr3t', "'not_a_host!' is not a registry server"]
  ])('refuses %j by line number, quoting no password', (raw, words) => {
    let message = ''
    try {
      parseRegistryLogins(raw)
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toContain(words)
    expect(message).not.toMatch(/s3cr/)
  })

  it("are deploy's: refused without it; annotate: false counts as set, its default true does not", () => {
    expect(refusal({ 'registry-logins': 'quay.io a b' }).input).toBe('registry-logins')
    expect(refusal({ 'pull-secrets': 'regcred' }).input).toBe('pull-secrets')
    expect(refusal({ annotate: 'false' }).input).toBe('annotate')
    expect(settingsFor({ annotate: 'true' }).deploy.annotate).toBe(true)
  })

  it('reads pull-secrets as names and refuses what cannot be one', () => {
    const deploy = settingsFor({ mode: 'deploy', manifests: 'k8s', 'pull-secrets': 'regcred, team-pull\nregcred' }).deploy
    expect(deploy.pullSecrets).toEqual(['regcred', 'team-pull'])
    expect(refusal({ mode: 'deploy', manifests: 'k8s', 'pull-secrets': 'Reg_Cred' }).message).toContain("'Reg_Cred' is not a secret name")
  })
})

describe('pull secrets of registry-logins', () => {
  it("names each server's secret the same way every time, whatever the password", () => {
    expect(pullSecretName('quay.io')).toMatch(/^aks-acr-pull-quay-io-[0-9a-f]{8}$/)
    expect(pullSecretName('quay.io')).toBe(pullSecretName('quay.io'))
    expect(pullSecretName('registry.example.com:5000')).toMatch(/^aks-acr-pull-registry-example-com-5000-[0-9a-f]{8}$/)
    expect(pullSecretName('quay.io')).not.toBe(pullSecretName('quay-io'))
  })

  it("matches images to servers by host, Docker Hub's short names and path prefixes included", () => {
    expect(servesImage('quay.io', 'quay.io/contoso/app:1')).toBe(true)
    expect(servesImage('docker.io', 'nginx')).toBe(true)
    expect(servesImage('docker.io', 'index.docker.io/contoso/api:2')).toBe(true)
    expect(servesImage('quay.io/contoso', 'quay.io/contoso/app:1')).toBe(true)
    expect(servesImage('quay.io/contoso', 'quay.io/contosox/app:1')).toBe(false)
    expect(servesImage('quay.io', 'myacr.azurecr.io/app:1')).toBe(false)
  })

  it('writes the docker config the kubelet reads, with Docker Hub under the key kubectl uses', () => {
    expect(JSON.parse(dockerConfigJson(QUAY))).toEqual({
      auths: {
        'quay.io': {
          username: QUAY.username,
          password: QUAY.password,
          auth: Buffer.from(`${QUAY.username}:${QUAY.password}`).toString('base64')
        }
      }
    })
    expect(Object.keys(JSON.parse(dockerConfigJson(HUB)).auths)).toEqual(['https://index.docker.io/v1/'])
    expect(loginSecrets(QUAY)).toContain(QUAY.password)
    expect(loginSecrets(QUAY)).toContain(Buffer.from(`${QUAY.username}:${QUAY.password}`).toString('base64'))
  })

  it("adds a login's secret only to workloads pulling from its server, and pull-secrets to every workload, each name once", () => {
    const objects = [
      workload('Deployment', 'private', ['quay.io/contoso/app:1', 'nginx:1.27']),
      workload('CronJob', 'nightly', ['quay.io/contoso/job:1']),
      workload('Pod', 'public', ['mcr.microsoft.com/oss/nginx/nginx:1.27']),
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: {} }
    ]
    ;(objects[0]!.spec as any).template.spec.imagePullSecrets = [{ name: 'regcred' }]
    const [deployment, cronJob, pod, configMap] = withImagePullSecrets(objects, [QUAY, HUB], ['regcred', 'shared'])
    expect(pullSecretsOf(deployment!)).toEqual([
      { name: 'regcred' },
      { name: 'shared' },
      { name: pullSecretName('quay.io') },
      { name: pullSecretName('docker.io') }
    ])
    expect(pullSecretsOf(cronJob!)).toEqual([{ name: 'regcred' }, { name: 'shared' }, { name: pullSecretName('quay.io') }])
    expect(pullSecretsOf(pod!)).toEqual([{ name: 'regcred' }, { name: 'shared' }])
    expect(configMap).toBe(objects[3])
    // The input is left as it was.
    expect((objects[0]!.spec as any).template.spec.imagePullSecrets).toEqual([{ name: 'regcred' }])
  })

  it('leaves a custom resource whose template is not a pod template alone', () => {
    const machines = {
      apiVersion: 'cluster.x-k8s.io/v1beta1',
      kind: 'MachineDeployment',
      metadata: { name: 'workers' },
      spec: { template: { spec: { bootstrap: { configRef: { name: 'b' } }, infrastructureRef: { name: 'i' } } } }
    }
    const rollout = workload('Deployment', 'canary', ['quay.io/contoso/app:1'])
    const [kept, argo] = withImagePullSecrets(
      [machines, { ...rollout, apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' }],
      [QUAY],
      ['shared']
    )
    expect(kept).toBe(machines)
    // A custom resource with a pod template (Argo Rollouts) gets them as a Deployment does.
    expect(pullSecretsOf(argo!)).toEqual([{ name: 'shared' }, { name: pullSecretName('quay.io') }])
  })

  it('plans one secret per server in each namespace workloads run in, applied between the namespaces and the workloads', () => {
    const plan = planDeploy(
      manifests(
        { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'jobs' } },
        workload('Deployment', 'web', ['quay.io/contoso/app:1']),
        workload('Job', 'migrate', ['nginx'], 'jobs'),
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config', namespace: 'elsewhere' } }
      ),
      'shop',
      undefined,
      'azurecr.io',
      new Map(),
      { registryLogins: [QUAY, HUB] }
    )
    expect(plan.foundation.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Namespace/shop', 'Namespace/jobs'])
    expect(plan.secrets.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      `jobs/${pullSecretName('quay.io')}`,
      `jobs/${pullSecretName('docker.io')}`,
      `shop/${pullSecretName('quay.io')}`,
      `shop/${pullSecretName('docker.io')}`
    ])
    expect(plan.secrets[0]).toMatchObject({
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(QUAY)).toString('base64') }
    })
    expect(plan.pullSecrets).toContainEqual({ server: 'quay.io', name: pullSecretName('quay.io'), namespace: 'shop' })
    expect(plan.objects.map((o) => o.metadata.name)).toEqual(['web', 'migrate', 'config'])
  })

  it('plans no secret without registry-logins', () => {
    const plan = planDeploy(
      manifests(workload('Deployment', 'web', ['quay.io/contoso/app:1'])),
      undefined,
      undefined,
      'azurecr.io',
      new Map()
    )
    expect(plan.secrets).toEqual([])
    expect(pullSecretsOf(plan.objects[0]!)).toBeUndefined()
  })
})

describe('run annotations', () => {
  const env = {
    GITHUB_SERVER_URL: 'https://github.example.com/',
    GITHUB_REPOSITORY: 'octo-org/octo-app',
    GITHUB_RUN_ID: '42',
    GITHUB_RUN_ATTEMPT: '3',
    GITHUB_SHA: '3F786850E387550FDAB836ED7E6DC881DE23001B',
    GITHUB_WORKFLOW_REF: 'octo-org/octo-app/.github/workflows/deploy.yml@refs/heads/main',
    GITHUB_ACTOR: 'octocat'
  }

  it("reads the run from the runner's variables", () => {
    expect(readRunIdentity(env)).toEqual({
      url: 'https://github.example.com/octo-org/octo-app/actions/runs/42',
      repository: 'octo-org/octo-app',
      runId: '42',
      attempt: '3',
      sha: '3f786850e387550fdab836ed7e6dc881de23001b',
      workflowRef: 'octo-org/octo-app/.github/workflows/deploy.yml@refs/heads/main',
      actor: 'octocat'
    })
  })

  it('claims nothing it was not given: no URL without a run ID, no annotation for a missing part', () => {
    const run = readRunIdentity({
      GITHUB_REPOSITORY: 'octo-org/octo-app',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: 'not-a-number'
    })
    expect(run.url).toBeUndefined()
    expect(runAnnotations(run)).toEqual({ 'aks-acr-action/repository': 'octo-org/octo-app' })
    expect(runAnnotations(readRunIdentity({}))).toEqual({})
  })

  it("goes on every object's own metadata and never into a pod template", () => {
    const annotations = runAnnotations(readRunIdentity(env))
    const plan = planDeploy(
      manifests(workload('Deployment', 'web', ['nginx']), workload('Pod', 'solo', ['nginx'])),
      'shop',
      undefined,
      'azurecr.io',
      new Map(),
      { annotations }
    )
    for (const object of [...plan.foundation, ...plan.objects]) expect(object.metadata.annotations).toMatchObject(annotations)
    const deployment = plan.objects.find((o) => o.kind === 'Deployment')!
    expect((deployment.spec as any).template.metadata.annotations).toBeUndefined()
    expect(Object.keys(annotations)).toEqual([
      'aks-acr-action/run-url',
      'aks-acr-action/run-attempt',
      'aks-acr-action/repository',
      'aks-acr-action/commit',
      'aks-acr-action/workflow-ref',
      'aks-acr-action/actor'
    ])
  })

  it("keeps the manifest's own annotations", () => {
    const [object] = annotate([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', annotations: { team: 'shop' } } }], {
      'aks-acr-action/actor': 'octocat'
    })
    expect(object!.metadata.annotations).toEqual({ team: 'shop', 'aks-acr-action/actor': 'octocat' })
  })
})

describe('dry-run diffs of secrets', () => {
  it("say a secret's data changes without showing it, like kubectl diff", () => {
    const before = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', labels: { a: '1' } },
      data: { '.dockerconfigjson': 'b2xk', extra: 'eA==' }
    }
    const after = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', labels: { a: '2' } },
      data: { '.dockerconfigjson': 'bmV3' },
      stringData: { token: 'plain' }
    }
    const shown = diffObjects(before, after).map(describeChange)
    expect(shown).toEqual([
      'metadata.labels.a: "1" → "2"',
      'data..dockerconfigjson: "*** (before)" → "*** (after)"',
      'data.extra: "*** (before)" → (unset)',
      'stringData: (unset) → "*** (after)"'
    ])
    expect(shown.join('\n')).not.toMatch(/b2xk|bmV3|eA==|plain/)
  })

  it("show other kinds' data as it is", () => {
    expect(diffObjects({ kind: 'ConfigMap', data: { a: '1' } }, { kind: 'ConfigMap', data: { a: '2' } }).map(describeChange)).toEqual([
      'data.a: "1" → "2"'
    ])
  })
})
