import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { fetchKubeconfig, kubectlFor, nginxManifest } from './kube-helpers.ts'
import type { Kubectl } from './kube-helpers.ts'
import { QUAY_PRIVATE } from '../../twin/registry/catalog.ts'

/** The kubelet honours imagePullSecrets as a node does, judged with the secrets kubectl itself writes. */
describe('image pull secrets (kubectl create secret docker-registry)', () => {
  let h: Harness
  let k: Kubectl
  const HUB = { ref: 'docker.io/contoso/private-api:2.1', username: 'contoso', password: 'hub-access-token' }

  beforeAll(async () => {
    h = await startSeeded()
    h.twin.addUpstreamImage(HUB.ref, { username: HUB.username, password: HUB.password })
    k = await kubectlFor(h.twin, await fetchKubeconfig(h.twin, credential(h.twin), h.scenario.cluster))
  })
  afterAll(async () => {
    await k?.close()
    await h.close()
  })

  const withPullSecrets = (manifest: string, names: string[]) =>
    manifest.replace('      containers:', `      imagePullSecrets:\n${names.map((n) => `      - name: ${n}\n`).join('')}      containers:`)

  /** The secret `kubectl create secret docker-registry` makes, written by kubectl and applied as JSON. */
  const dockerRegistrySecret = async (name: string, args: string[]) => {
    const made = await k.run(['create', 'secret', 'docker-registry', name, ...args, '--dry-run=client', '-o', 'json'])
    expect(made.code).toBe(0)
    return k.run(['apply', '-f', '-'], { stdin: made.stdout })
  }

  const eventsOf = async (reason: string) =>
    JSON.parse((await k.run(['get', 'events', '--field-selector', `reason=${reason}`, '-o', 'json'])).stdout).items.map(
      (e: any) => e.message as string
    )

  it("pulls a private quay.io image with the secret kubectl creates, and refuses it without, with the node's error", async () => {
    const created = await dockerRegistrySecret('quay-login', [
      '--docker-server=quay.io',
      `--docker-username=${QUAY_PRIVATE.username}`,
      `--docker-password=${QUAY_PRIVATE.password}`
    ])
    expect(created).toMatchObject({ code: 0, stdout: 'secret/quay-login created\n' })
    const good = await k.write(
      'good.yaml',
      withPullSecrets(nginxManifest({ image: QUAY_PRIVATE.ref, name: 'quay-ok', replicas: 1 }), ['quay-login'])
    )
    expect((await k.run(['apply', '-f', good])).code).toBe(0)
    expect((await k.run(['rollout', 'status', 'deployment/quay-ok', '--timeout=30s'])).code).toBe(0)

    const bare = await k.write('bare.yaml', nginxManifest({ image: QUAY_PRIVATE.ref, name: 'quay-bare', replicas: 1 }))
    expect((await k.run(['apply', '-f', bare])).code).toBe(0)
    const message = `Failed to pull image "${QUAY_PRIVATE.ref}": failed to pull and unpack image "${QUAY_PRIVATE.ref}": failed to resolve reference "${QUAY_PRIVATE.ref}": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`
    expect(await waitFor(async () => (await eventsOf('Failed')).includes(message))).toBe(true)
  })

  it('a wrong password fails at the token endpoint, as containerd reports it', async () => {
    expect(
      (
        await dockerRegistrySecret('quay-wrong', [
          '--docker-server=quay.io',
          `--docker-username=${QUAY_PRIVATE.username}`,
          '--docker-password=nope'
        ])
      ).code
    ).toBe(0)
    const f = await k.write(
      'wrong.yaml',
      withPullSecrets(nginxManifest({ image: QUAY_PRIVATE.ref, name: 'quay-wrong', replicas: 1 }), ['quay-wrong'])
    )
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    const expected =
      'failed to authorize: failed to fetch oauth token: unexpected status from GET request to https://quay.io/v2/auth?scope=repository%3Acontoso%2Fprivate-app%3Apull&service=quay.io: 401 UNAUTHORIZED'
    expect(await waitFor(async () => (await eventsOf('Failed')).some((m: string) => m.includes(expected)))).toBe(true)
  })

  it("Docker Hub: the default server of kubectl's secret (https://index.docker.io/v1/) covers images written without a host", async () => {
    expect((await dockerRegistrySecret('hub-login', [`--docker-username=${HUB.username}`, `--docker-password=${HUB.password}`])).code).toBe(
      0
    )
    const f = await k.write(
      'hub.yaml',
      withPullSecrets(nginxManifest({ image: 'contoso/private-api:2.1', name: 'hub', replicas: 1 }), ['hub-login'])
    )
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    expect((await k.run(['rollout', 'status', 'deployment/hub', '--timeout=30s'])).code).toBe(0)
  })

  it("a pod naming a secret its namespace lacks gets the kubelet's FailedToRetrieveImagePullSecret warning", async () => {
    const f = await k.write(
      'missing.yaml',
      withPullSecrets(nginxManifest({ image: QUAY_PRIVATE.ref, name: 'quay-missing', replicas: 1 }), ['regcred'])
    )
    expect((await k.run(['apply', '-f', f])).code).toBe(0)
    const warning = 'Unable to retrieve some image pull secrets (regcred); attempting to pull the image may not succeed.'
    expect(await waitFor(async () => (await eventsOf('FailedToRetrieveImagePullSecret')).includes(warning))).toBe(true)
  })

  it('the API server refuses a docker config secret without its key, as ValidateSecret does', async () => {
    const made = await k.run([
      'create',
      'secret',
      'generic',
      'broken',
      '--type=kubernetes.io/dockerconfigjson',
      '--from-literal=other=x',
      '--dry-run=client',
      '-o',
      'json'
    ])
    const out = await k.run(['apply', '-f', '-'], { stdin: made.stdout })
    expect(out.code).not.toBe(0)
    expect(out.stderr).toContain('Secret "broken" is invalid: data[.dockerconfigjson]: Required value')
  })
})

/** Polls until the check holds (the kubelet runs on real timers); false when it never does. */
async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<boolean> {
  const end = Date.now() + timeoutMs
  while (Date.now() < end) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}
