// `npm run chaos`: the fault matrix. Each row injects one fault into the Azure twin (or gives the
// twin one hard property of a real estate) and runs the bundled action (`node dist/index.js`) as
// the runner does. A row is
//   survived       the run succeeded as it would without the fault (the action retried or waited),
//   clear failure  the run failed, and its error names the cause and what to do,
//   wrong          anything else: a success that should not be, a vague or misleading error, a hang.
// Prints one line per row and a total; exits 1 when a row is wrong.
import { startTwin, type Twin } from '../twin/index.ts'
import { errorAnnotation } from '../__tests__/e2e/run-action.ts'
import { baseInputs, buildWorld, freshPair, freshRegistry, run, type World } from '../__tests__/e2e/world.ts'
import { deployment, removeWorkspaces, workspaceWith } from '../__tests__/e2e/workspace.ts'

type Pair = ReturnType<typeof freshPair>

interface Row {
  name: string
  /** Survive: exit 0. Otherwise the error annotation must match every pattern. */
  expect: 'survive' | RegExp[]
  /** False for rows that change the twin's properties instead of injecting a fault; otherwise a fault must have fired. */
  injects?: false
  prepare(world: World): { inputs: Record<string, string>; env?: Record<string, string>; after?: () => void }
}

const hello = (name: string) =>
  workspaceWith({ 'k8s/app.yaml': deployment(name, 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', { replicas: 1 }) })

function deploy(world: World, pair: Pair, name: string, extra: Record<string, string> = {}) {
  return {
    inputs: { ...baseInputs(world, pair.cluster, pair.registry.name), mode: 'deploy', manifests: 'k8s', ...extra },
    env: { GITHUB_WORKSPACE: hello(name) }
  }
}

const kubeFault = (pair: Pair, fault: Omit<Parameters<Twin['inject']>[0], 'host'>) => ({ host: pair.cluster.fqdn, ...fault })

const ROWS: Row[] = [
  {
    name: 'ARM answers 500 once to the cluster read',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({
        method: 'GET',
        path: `/managedClusters/${pair.cluster.name}`,
        status: 500,
        body: { error: { code: 'InternalServerError', message: 'Internal error' } }
      })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name) }
    }
  },
  {
    name: 'ARM throttles the role assignment list (429, Retry-After: 1)',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({
        method: 'GET',
        path: '/roleAssignments',
        status: 429,
        headers: { 'Retry-After': '1' },
        body: { error: { code: 'TooManyRequests', message: 'throttled' } }
      })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name) }
    }
  },
  {
    name: 'ARM resets the connection of the registry read',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({ method: 'GET', path: '/providers/Microsoft.ContainerRegistry/registries', action: 'reset' })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name) }
    }
  },
  {
    name: 'the role assignment PUT is carried out but its answer is lost',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({ method: 'PUT', path: '/roleAssignments/', action: 'drop' })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name) }
    }
  },
  {
    name: "the runner's OIDC endpoint answers 500 once",
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({ host: '127.0.0.1', path: '/github/_apis/idtoken', status: 500, body: { message: 'Internal error' } })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name) }
    }
  },
  {
    name: "the runner's OIDC endpoint keeps answering 503",
    expect: [/GitHub's OIDC endpoint answered HTTP 503/, /re-run the job/],
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject({
        host: '127.0.0.1',
        path: '/github/_apis/idtoken',
        status: 503,
        body: { message: 'Service Unavailable' },
        times: 10
      })
      return { inputs: baseInputs(world, pair.cluster, pair.registry.name), after: () => world.twin.clearFaults() }
    }
  },
  {
    name: 'the API server throttles the apply (429, Retry-After: 1)',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject(
        kubeFault(pair, {
          method: 'PATCH',
          path: '/deployments/',
          status: 429,
          headers: { 'Retry-After': '1' },
          body: { kind: 'Status', code: 429 }
        })
      )
      return deploy(world, pair, 'throttled')
    }
  },
  {
    name: 'the API server answers 500 once to a list',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject(
        kubeFault(pair, {
          method: 'GET',
          path: '/apis/apps/v1/namespaces/default/deployments',
          status: 500,
          body: { kind: 'Status', code: 500 }
        })
      )
      return deploy(world, pair, 'listed')
    }
  },
  {
    name: 'the API server answers 500 once to a watch',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject(
        kubeFault(pair, {
          method: 'GET',
          path: '/api/v1/namespaces/default/pods',
          query: { watch: '1' },
          status: 500,
          body: { kind: 'Status', code: 500 }
        })
      )
      return deploy(world, pair, 'watched')
    }
  },
  {
    name: 'a watch stream breaks mid-rollout, twice',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject(
        kubeFault(pair, {
          method: 'GET',
          path: '/apis/apps/v1/namespaces/default/deployments',
          query: { watch: '1' },
          action: 'end-stream',
          delayMs: 100,
          times: 2
        })
      )
      return deploy(world, pair, 'broken')
    }
  },
  {
    name: 'the cluster token expires during the rollout',
    injects: false,
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world, { cluster: { aad: true } })
      pair.cluster.kube.grant(world.callerObjectId, 'cluster-admin')
      world.twin.state.tokenLifetimeSeconds = 4
      pair.cluster.kube.knobs.pullMs = 6000
      pair.cluster.kube.knobs.watchTimeoutMs = 1500
      return { ...deploy(world, pair, 'long'), after: () => (world.twin.state.tokenLifetimeSeconds = 3600) }
    }
  },
  {
    name: 'a new grant reaches the registry 20 s after it is created',
    injects: false,
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world)
      world.twin.state.rbacPropagationMs = 20_000
      const workspace = workspaceWith({ 'k8s/app.yaml': deployment('fresh', `${pair.registry.loginServer}/nginx:v1`, { replicas: 1 }) })
      return {
        inputs: {
          ...baseInputs(world, pair.cluster, pair.registry.name),
          mode: 'attach, import, deploy',
          images: 'nginx:latest => nginx:v1',
          manifests: 'k8s'
        },
        env: { GITHUB_WORKSPACE: workspace },
        after: () => (world.twin.state.rbacPropagationMs = 0)
      }
    }
  },
  {
    name: 'Docker Hub resets the connection of a manifest read',
    expect: 'survive',
    prepare(world) {
      const registry = freshRegistry(world)
      world.twin.inject({ host: 'registry-1.docker.io', path: '/v2/library/redis/manifests/', action: 'reset' })
      return { inputs: { ...baseInputs(world, undefined, registry.name), mode: 'import', images: 'redis:7' } }
    }
  },
  {
    name: "the registry's token endpoint answers 503 once",
    expect: 'survive',
    prepare(world) {
      const registry = freshRegistry(world)
      world.twin.inject({ host: registry.loginServer, path: '/oauth2/token', status: 503, body: 'Service Unavailable' })
      return { inputs: { ...baseInputs(world, undefined, registry.name), mode: 'import', images: 'alpine:3.20' } }
    }
  },
  {
    name: 'the importImage poll answers 500 once',
    expect: 'survive',
    prepare(world) {
      const registry = freshRegistry(world)
      world.twin.inject({
        method: 'GET',
        path: '/operationResults/',
        status: 500,
        body: { error: { code: 'InternalServerError', message: 'Internal error' } }
      })
      return { inputs: { ...baseInputs(world, undefined, registry.name), mode: 'import', images: 'busybox:latest' } }
    }
  },
  {
    name: 'the API server never answers the apply',
    expect: [/Could not reach the API server of AKS cluster/, /it did not answer \(no answer within/],
    prepare(world) {
      const pair = freshPair(world)
      world.twin.inject(kubeFault(pair, { method: 'PATCH', path: '/deployments/', action: 'hang' }))
      return deploy(world, pair, 'silent')
    }
  },
  {
    name: 'a private cluster, direct access from a runner outside its network',
    injects: false,
    expect: [/The cluster is private/, /self-hosted runner in that virtual network/],
    prepare(world) {
      return deploy(world, freshPair(world, { cluster: { privateCluster: true } }), 'private', { 'cluster-access': 'direct' })
    }
  },
  {
    name: 'a private cluster on auto: the deploy goes through run command',
    expect: 'survive',
    injects: false,
    prepare(world) {
      return deploy(world, freshPair(world, { cluster: { privateCluster: true } }), 'through-run-command')
    }
  },
  {
    name: 'a run-command poll answers 500 once',
    expect: 'survive',
    prepare(world) {
      const pair = freshPair(world, { cluster: { privateCluster: true } })
      world.twin.inject({
        method: 'GET',
        path: '/commandResults/',
        status: 500,
        body: { error: { code: 'InternalServerError', message: 'Internal error' } }
      })
      return deploy(world, pair, 'poll-500')
    }
  },
  {
    name: "the command pod never starts (AKS's 30 s wait)",
    expect: [/did not start in time/, /KubernetesPerformanceError/],
    injects: false,
    prepare(world) {
      const pair = freshPair(world, { cluster: { privateCluster: true } })
      world.twin.state.runCommandStartFailure = 'Unschedulable'
      world.twin.state.runCommandStartDeadlineMs = 3000
      return {
        ...deploy(world, pair, 'never-starts'),
        after: () => {
          world.twin.state.runCommandStartFailure = undefined
          world.twin.state.runCommandStartDeadlineMs = 30_000
        }
      }
    }
  },
  {
    name: 'a private cluster that disables run command',
    expect: [/disables run command/, /self-hosted runner/],
    injects: false,
    prepare(world) {
      return deploy(world, freshPair(world, { cluster: { privateCluster: true, disableRunCommand: true } }), 'no-run-command')
    }
  },
  {
    name: 'authorized IP ranges that leave the runner out, direct access',
    injects: false,
    expect: [/no connection could be made/, /authorized IP ranges \(apiServerAccessProfile\.authorizedIPRanges: 203\.0\.113\.0\/24\)/],
    prepare(world) {
      return deploy(world, freshPair(world, { cluster: { authorizedIpRanges: ['203.0.113.0/24'] } }), 'ranged', {
        'cluster-access': 'direct'
      })
    }
  }
]

const print = (line = '') => process.stdout.write(`${line}\n`)

async function main(): Promise<number> {
  const twin = await startTwin()
  const world = buildWorld(twin)
  const results: Array<{ name: string; verdict: 'survived' | 'clear failure' | 'wrong'; seconds: number; note: string }> = []
  try {
    for (const row of ROWS) {
      process.stderr.write(`  · ${row.name}\n`)
      const prepared = row.prepare(world)
      const started = Date.now()
      const since = twin.requests.length
      const result = await run(world, prepared.inputs, prepared.env)
      // A row whose fault never fired proves nothing.
      const fired = row.injects === false || twin.requests.slice(since).some((r) => r.fault)
      prepared.after?.()
      twin.clearFaults()
      const seconds = (Date.now() - started) / 1000
      const error = errorAnnotation(result.log)
      let verdict: 'survived' | 'clear failure' | 'wrong'
      if (!fired) verdict = 'wrong'
      else if (row.expect === 'survive') verdict = result.exitCode === 0 ? 'survived' : 'wrong'
      else verdict = result.exitCode === 1 && row.expect.every((pattern) => pattern.test(error)) ? 'clear failure' : 'wrong'
      const note = !fired ? 'the fault never fired' : verdict === 'wrong' ? `exit ${result.exitCode}: ${error.slice(0, 300)}` : ''
      results.push({ name: row.name, verdict, seconds, note })
    }
  } finally {
    await twin.close()
    removeWorkspaces()
  }
  const width = Math.max(...results.map((r) => r.name.length))
  print(`${'fault'.padEnd(width)}  ${'verdict'.padEnd(13)}  seconds`)
  for (const r of results)
    print(`${r.name.padEnd(width)}  ${r.verdict.padEnd(13)}  ${r.seconds.toFixed(1).padStart(7)}${r.note ? `\n    ${r.note}` : ''}`)
  const count = (verdict: string) => results.filter((r) => r.verdict === verdict).length
  print()
  print(`${results.length} faults: ${count('survived')} survived, ${count('clear failure')} clear failures, ${count('wrong')} wrong`)
  return count('wrong') === 0 ? 0 : 1
}

process.exitCode = await main()
