// Bench section: the seed's deploy on a private cluster, through the AKS run-command API, with a
// command pod that takes 5 s to start (real AKS: seconds, often more). The action's own run against
// Azure/k8s-deploy's pattern on the same twin: one command pod per kubectl call (its PrivateKubectl
// runs `az aks command invoke` for each), here the calls its basic strategy makes for one manifest
// with one Deployment of two pods: apply, rollout status, get pods, read and annotate the namespace,
// annotate the file's objects, annotate each pod, label the file's objects.
import { ClientAssertionCredential } from '@azure/identity'
import { createContainerService } from '@azure/arm-containerservice/api'
import { runCommand } from '@azure/arm-containerservice/api/managedClusters'
import { strToU8, zipSync } from 'fflate'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../twin/index.ts'
import { trustTwinCa } from '../twin/trust.ts'
import { runAction as runActionStep } from '../__tests__/e2e/run-action.ts'
import { AUDIENCE, baseInputs, freshPair, type World } from '../__tests__/e2e/world.ts'
import { workspaceWith } from '../__tests__/e2e/workspace.ts'

/** How long a command pod takes to start in this section. */
export const COMMAND_POD_START_MS = 5000
/** The action's goal for a happy-path deploy. */
export const RUN_COMMAND_GOAL = 3

const SEED = readFileSync(join(import.meta.dirname, '../__tests__/e2e/fixtures/acr-nginx.yaml'), 'utf8')

export interface PrivateClusterResult {
  commandPodStartMs: number
  action: { runCommandCalls: number; wallMs: number; ready: boolean; goal: number; pass: boolean }
  k8sDeployPattern: { runCommandCalls: number; wallMs: number; commands: string[] }
}

const runCommandsIn = (twin: Twin, since: number) =>
  twin.requests.slice(since).filter((r) => r.method === 'POST' && /\/runCommand$/i.test(r.path)).length

/** A private cluster whose kubelet may pull the seed's image, already in the registry. */
function preparedPair(world: World) {
  const pair = freshPair(world, { cluster: { privateCluster: true } })
  world.twin.addRoleAssignment({
    scope: pair.registry.id,
    role: 'AcrPull',
    principalId: pair.cluster.pullPrincipalId,
    createdOn: new Date(Date.now() - 86_400_000).toISOString()
  })
  world.twin.addImage(pair.registry, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })
  return pair
}

export async function privateCluster(world: World, progress: (line: string) => void): Promise<PrivateClusterResult> {
  const { twin } = world
  const startMs = twin.state.runCommandStartMs
  twin.state.runCommandStartMs = COMMAND_POD_START_MS
  try {
    // (a) the action: `mode: deploy` of the seed's manifest, cluster-access on auto.
    const a = preparedPair(world)
    const sinceA = twin.requests.length
    const started = Date.now()
    const run = await runActionStep(
      { ...baseInputs(world, a.cluster, a.registry.name), mode: 'deploy', manifests: 'k8s' },
      { ...twin.env(), GITHUB_WORKSPACE: workspaceWith({ 'k8s/acr-nginx.yaml': SEED }) }
    )
    const actionMs = Date.now() - started
    if (run.exitCode !== 0 || run.outputs.ready !== 'true')
      throw new Error(`the action's deploy on a private cluster failed (exit ${run.exitCode}):\n${run.log.slice(-1500)}`)
    const actionCalls = runCommandsIn(twin, sinceA)
    progress(`private cluster, the action: ${actionCalls} run-command calls, ${(actionMs / 1000).toFixed(1)} s`)

    // (b) k8s-deploy's pattern: one command pod per kubectl call, through the same API.
    const b = preparedPair(world)
    const untrust = trustTwinCa(twin.caPem)
    try {
      const requestToken = twin.github.requestToken()
      const credential = new ClientAssertionCredential(world.tenantId, world.clientId, () => githubToken(twin, requestToken), {
        authorityHost: twin.url,
        disableInstanceDiscovery: true
      })
      const aks = createContainerService(credential, world.subscriptionId, {
        endpoint: twin.url,
        credentials: { scopes: ['https://management.core.windows.net//.default'] },
        apiVersion: '2025-10-01'
      })
      const manifest = SEED.replace('<acr-name>.azurecr.io', b.registry.loginServer)
      const annotation = 'actions.github.com/k8s-deploy={"run":"1","repository":"octo-org/octo-app"}'
      const invoke = async (command: string) => {
        const context = Buffer.from(zipSync({ 'acr-nginx.yaml': strToU8(manifest) })).toString('base64')
        const result = await runCommand(aks, b.cluster.resourceGroup, b.cluster.name, { command, context }, { updateIntervalInMs: 1000 })
        if (result.exitCode !== 0) throw new Error(`'${command}' exited ${result.exitCode}: ${result.logs}`)
        return result.logs ?? ''
      }
      const sinceB = twin.requests.length
      const startedB = Date.now()
      const commands = ['kubectl apply -f acr-nginx.yaml', 'kubectl rollout status deployment/nginx0-deployment --timeout=300s']
      await invoke(commands[0]!)
      await invoke(commands[1]!)
      const pods = JSON.parse(await invoke('kubectl get pods -l app=nginx0 -o json')) as { items: Array<{ metadata: { name: string } }> }
      commands.push('kubectl get pods -o json')
      for (const command of [
        'kubectl get namespace default -o json',
        `kubectl annotate namespace default '${annotation}' --overwrite`,
        `kubectl annotate -f acr-nginx.yaml '${annotation}' --overwrite`,
        ...pods.items.map((pod) => `kubectl annotate pod ${pod.metadata.name} '${annotation}' --overwrite`),
        'kubectl label -f acr-nginx.yaml workflowFriendlyName=deploy workflow=actions.github.com-k8s-deploy --overwrite'
      ]) {
        await invoke(command)
        commands.push(command)
      }
      const patternMs = Date.now() - startedB
      const patternCalls = runCommandsIn(twin, sinceB)
      progress(`private cluster, k8s-deploy's pattern: ${patternCalls} run-command calls, ${(patternMs / 1000).toFixed(1)} s`)
      return {
        commandPodStartMs: COMMAND_POD_START_MS,
        action: {
          runCommandCalls: actionCalls,
          wallMs: actionMs,
          ready: true,
          goal: RUN_COMMAND_GOAL,
          pass: actionCalls <= RUN_COMMAND_GOAL
        },
        k8sDeployPattern: { runCommandCalls: patternCalls, wallMs: patternMs, commands }
      }
    } finally {
      untrust()
    }
  } finally {
    twin.state.runCommandStartMs = startMs
  }
}

async function githubToken(twin: Twin, requestToken: string): Promise<string> {
  const response = await fetch(`${twin.github.requestUrl}&audience=${encodeURIComponent(AUDIENCE)}`, {
    headers: { Authorization: `Bearer ${requestToken}` }
  })
  return ((await response.json()) as { value: string }).value
}

export function privateClusterLines(result: PrivateClusterResult): string[] {
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`
  return [
    `Private cluster, seed deploy through the AKS run-command API (command pod start ${s(result.commandPodStartMs)}):`,
    `  the action                      ${String(result.action.runCommandCalls).padStart(2)} run-command calls  ${s(result.action.wallMs).padStart(7)} (whole run, sign-in included)  goal <= ${result.action.goal}: ${result.action.pass ? 'PASS' : 'MISS'}`,
    `  k8s-deploy's pattern (1 per call) ${String(result.k8sDeployPattern.runCommandCalls).padStart(2)} run-command calls  ${s(result.k8sDeployPattern.wallMs).padStart(7)} (kubectl calls only)`
  ]
}
