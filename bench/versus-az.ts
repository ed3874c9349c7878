// The seed's own tool against the action, on the same twin: `az aks update --attach-acr` against
// `mode: attach`, and `az acr import` one image at a time against one `mode: import` run. Both
// sides start from the same state (a fresh cluster and registry each) and are read from the same
// request log; az runs as __tests__/az runs it (Debian's azure-cli, signed in once beforehand).
import type { RequestRecord, Twin } from '../twin/index.ts'
import type { World } from '../__tests__/e2e/world.ts'
import { baseInputs, freshPair, freshRegistry } from '../__tests__/e2e/world.ts'
import { fetchGithubToken } from '../__tests__/twin/helpers.ts'
import { azSession } from '../__tests__/az/az-cli.ts'
import type { AzSession } from '../__tests__/az/az-cli.ts'
import { metricsOf, requestsBetween } from './request-metrics.ts'
import type { RequestMetrics } from './request-metrics.ts'

/** How AKS's cluster operation is set for the attach comparison (real AKS: minutes). */
export const CLUSTER_OPERATION_MS = 10_000
/** Docker Hub images both sides import, each to a repository of the same name. */
export const IMPORT_SOURCES = [
  'library/nginx:1.27',
  'library/redis:7',
  'library/busybox:latest',
  'library/alpine:3.20',
  'library/hello-world:latest'
]

export interface ActionSide {
  exitCode: number
  log: string
  startedAt: number
  exitedAt: number
  records: RequestRecord[]
}
export type RunAction = (inputs: Record<string, string>) => Promise<ActionSide>

export interface Side extends RequestMetrics {
  wallMs: number
}

export interface Versus {
  az: Side
  action: Side
}

export interface VersusAz {
  azVersion: string
  signIn: Side
  attach: Versus & { clusterOperationMs: number }
  import: Versus & { images: number; importDurationMs: number; retryAfterSeconds: number | undefined }
}

class VersusError extends Error {}

const side = (records: RequestRecord[], startedAt: number, exitedAt: number): Side => ({
  ...metricsOf(records),
  wallMs: exitedAt - startedAt
})

const acrPulls = (twin: Twin, registryId: string, principalId: string) =>
  twin.roleAssignments({ scope: registryId, principalId, role: 'AcrPull' }).length

async function signIn(world: World): Promise<{ session: AzSession; signIn: Side }> {
  const { twin } = world
  const since = twin.requests.length
  const startedAt = Date.now()
  const session = await azSession(twin, {
    tenantId: world.tenantId,
    clientId: world.clientId,
    subscriptionId: world.subscriptionId,
    assertion: () => fetchGithubToken(twin, twin.github.requestToken())
  })
  const exitedAt = Date.now()
  return { session, signIn: side(requestsBetween(twin.requests, since, startedAt, exitedAt), startedAt, exitedAt) }
}

async function attach(world: World, session: AzSession, runAction: RunAction): Promise<VersusAz['attach']> {
  const { twin } = world
  const before = twin.state.clusterOperationMs
  twin.state.clusterOperationMs = CLUSTER_OPERATION_MS
  try {
    const a = freshPair(world)
    const action = await runAction({ ...baseInputs(world, a.cluster, a.registry.name), mode: 'attach' })
    if (action.exitCode !== 0 || acrPulls(twin, a.registry.id, a.cluster.pullPrincipalId) !== 1) {
      throw new VersusError(`the action's attach did not leave one AcrPull (exit ${action.exitCode}):\n${action.log.slice(-2000)}`)
    }

    const b = freshPair(world)
    const since = twin.requests.length
    const az = await session.run(['aks', 'update', '-g', b.group, '-n', b.cluster.name, '--attach-acr', b.registry.name])
    if (az.code !== 0 || acrPulls(twin, b.registry.id, b.cluster.pullPrincipalId) !== 1) {
      throw new VersusError(`az aks update --attach-acr did not leave one AcrPull (exit ${az.code}): ${az.stderr.slice(-2000)}`)
    }
    return {
      clusterOperationMs: CLUSTER_OPERATION_MS,
      az: side(requestsBetween(twin.requests, since, az.startedAt, az.exitedAt), az.startedAt, az.exitedAt),
      action: side(action.records, action.startedAt, action.exitedAt)
    }
  } finally {
    twin.state.clusterOperationMs = before
  }
}

async function imports(world: World, session: AzSession, runAction: RunAction): Promise<VersusAz['import']> {
  const { twin } = world
  const targetOf = (source: string) => source.replace(/^library\//, '')
  const imported = (loginServer: string) =>
    IMPORT_SOURCES.every((s) => {
      const [repo, tag] = s.split(':') as [string, string]
      return twin.tagDigest(loginServer, targetOf(repo), tag) === twin.tagDigest('docker.io', repo, tag)
    })

  const forAction = freshRegistry(world)
  const images = IMPORT_SOURCES.map((s) => `docker.io/${s} => ${targetOf(s)}`).join('\n')
  const action = await runAction({ ...baseInputs(world, undefined, forAction.name), mode: 'import', images })
  if (action.exitCode !== 0 || !imported(forAction.loginServer))
    throw new VersusError(`the action's import failed (exit ${action.exitCode}):\n${action.log.slice(-2000)}`)

  const forAz = freshRegistry(world)
  const since = twin.requests.length
  const startedAt = Date.now()
  for (const source of IMPORT_SOURCES) {
    const az = await session.run(['acr', 'import', '-n', forAz.name, '--source', `docker.io/${source}`, '--image', targetOf(source)])
    if (az.code !== 0) throw new VersusError(`az acr import ${source} exited ${az.code}: ${az.stderr.slice(-2000)}`)
  }
  const exitedAt = Date.now()
  if (!imported(forAz.loginServer)) throw new VersusError('az acr import left a tag missing or with another digest')
  return {
    images: IMPORT_SOURCES.length,
    importDurationMs: twin.state.importDurationMs,
    retryAfterSeconds: twin.state.importRetryAfterSeconds,
    az: side(requestsBetween(twin.requests, since, startedAt, exitedAt), startedAt, exitedAt),
    action: side(action.records, action.startedAt, action.exitedAt)
  }
}

export async function versusAz(world: World, azVersion: string, runAction: RunAction, progress: (line: string) => void): Promise<VersusAz> {
  const { session, signIn: login } = await signIn(world)
  try {
    progress(`az ${azVersion} signed in to the twin: ${login.requests} requests, ${(login.wallMs / 1000).toFixed(2)} s`)
    const a = await attach(world, session, runAction)
    progress(`attach: az aks update ${(a.az.wallMs / 1000).toFixed(2)} s, action ${(a.action.wallMs / 1000).toFixed(2)} s`)
    const i = await imports(world, session, runAction)
    progress(
      `import ${i.images}: az acr import one by one ${(i.az.wallMs / 1000).toFixed(2)} s, action ${(i.action.wallMs / 1000).toFixed(2)} s`
    )
    return { azVersion, signIn: login, attach: a, import: i }
  } finally {
    session.close()
  }
}

/** The two comparisons, as the bench prints them. */
export function versusLines(v: VersusAz): string[] {
  const header = `${''.padEnd(30)}${'requests'.padStart(9)}${'mutating'.padStart(10)}${'cluster writes'.padStart(16)}${'longest chain'.padStart(15)}${'wall time'.padStart(11)}`
  const row = (label: string, s: Side) =>
    `${label.padEnd(30)}${String(s.requests).padStart(9)}${String(s.mutating).padStart(10)}${String(s.clusterWrites).padStart(16)}${String(s.longestChain).padStart(15)}${`${(s.wallMs / 1000).toFixed(2)} s`.padStart(11)}`
  const writes = (s: Side) => (s.writes.length ? s.writes.join(', ') : 'none')
  return [
    `The seed's tool on the same twin (Azure CLI ${v.azVersion}, signed in beforehand: az login took ${v.signIn.requests} requests, ${(v.signIn.wallMs / 1000).toFixed(2)} s)`,
    `4  attach: az aks update --attach-acr <name> versus mode: attach (AKS cluster operation set to ${v.attach.clusterOperationMs / 1000} s)`,
    `   ${header}`,
    `   ${row('az aks update --attach-acr', v.attach.az)}`,
    `   ${row('action, mode: attach', v.attach.action)}`,
    `   writes: az ${writes(v.attach.az)}; action ${writes(v.attach.action)}`,
    `5  import ${v.import.images} images: az acr import one at a time versus mode: import (importDurationMs ${v.import.importDurationMs}, Retry-After ${v.import.retryAfterSeconds ?? 'none'})`,
    `   ${header}`,
    `   ${row(`az acr import x${v.import.images}`, v.import.az)}`,
    `   ${row('action, mode: import', v.import.action)}`,
    '   wall time: az from its first command to its last exit; the action, its main step (sign-in included)'
  ]
}
