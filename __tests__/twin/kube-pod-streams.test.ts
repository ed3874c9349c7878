import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { startSeeded, credential, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { fetchKubeconfig, kubectlFor, eventually } from './kube-helpers.ts'
import type { Kubectl } from './kube-helpers.ts'

const CANIPULL = 'mcr.microsoft.com/aks/canipull:v0.1.0'

/** kubectl v1.32 judges pods/log and pods/attach (WebSocket, v5.channel.k8s.io), with the canipull program `az aks check-acr` runs. */
describe('pods/log and pods/attach with kubectl', () => {
  let h: Harness
  let k: Kubectl
  let acr: string
  beforeAll(async () => {
    h = await startSeeded()
    acr = h.scenario.registry.loginServer
    k = await kubectlFor(h.twin, await fetchKubeconfig(h.twin, credential(h.twin), h.scenario.cluster))
  })
  afterAll(async () => {
    await k?.close()
    await h.close()
  })

  it('kubectl run --rm -i attaches over WebSocket, prints what canipull writes, and exits with its code', async () => {
    const since = h.twin.requests.length
    const out = await k.run(['run', 'canipull-ok', '--rm', '--quiet', '-i', '--restart=Never', `--image=${CANIPULL}`, '--', '-v6', acr], {
      stdin: ''
    })
    expect(out.code).toBe(0)
    const lines = out.stdout.replace(/^\[[^\]]+\] ?/gm, '').split('\n')
    expect(lines).toEqual([
      `Checking host name resolution (${acr}): SUCCEEDED`,
      `Canonical name for ACR (${acr}): myacr.${SCENARIO.LOCATION}.cloudapp.azure.com.`,
      `ACR location: ${SCENARIO.LOCATION}`,
      'Loading azure.json file from /etc/kubernetes/azure.json',
      'Checking managed identity...',
      'Cluster cloud name: AzurePublicCloud',
      `Kubelet managed identity client ID: ${h.scenario.cluster.kubelet!.clientId}`,
      'Validating managed identity existance: SUCCEEDED',
      'Validating image pull permission: SUCCEEDED',
      '',
      `Your cluster can pull images from ${acr}!`,
      ''
    ])
    const attach = h.twin.requests.slice(since).find((r) => r.path.endsWith('/pods/canipull-ok/attach'))
    expect(attach).toMatchObject({ method: 'GET', status: 101 })
    await eventually(() => !h.scenario.cluster.kube.get('Pod', 'default', 'canipull-ok'))
  })

  it('a registry that does not resolve: exit 52 through kubectl, and kubectl logs reads the same lines later', async () => {
    const out = await k.run(
      ['run', 'canipull-dns', '--quiet', '-i', '--restart=Never', `--image=${CANIPULL}`, '--', 'nothere.azurecr.io'],
      { stdin: '' }
    )
    expect(out.code).toBe(52)
    expect(out.stdout).toMatch(/^\[\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\] Checking host name resolution \(nothere\.azurecr\.io\): FAILED\n/)
    const logs = await k.run(['logs', 'canipull-dns'])
    expect(logs.stdout).toBe(out.stdout)
    expect((await k.run(['logs', 'canipull-dns', '--tail=1'])).stdout).toMatch(
      /Failed to resolve specified fqdn nothere\.azurecr\.io: lookup nothere\.azurecr\.io on 168\.63\.129\.16:53: no such host\n$/
    )
  })

  it('refuses logs of a container that has not started, in the kubelet words', async () => {
    h.scenario.cluster.kube.knobs.pullMs = 2000
    try {
      expect((await k.run(['run', 'slow', '--restart=Never', '--image=nginx:1.27'])).code).toBe(0)
      const early = await k.run(['logs', 'slow'])
      expect(early.code).toBe(1)
      expect(early.stderr).toContain('container "slow" in pod "slow" is waiting to start: ContainerCreating')
    } finally {
      h.scenario.cluster.kube.knobs.pullMs = 250
    }
  })
})
