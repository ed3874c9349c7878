// Plain TypeScript with `.ts` specifiers and no jest imports, so that `npm run bench` (plain Node)
// builds its worlds with these same helpers.
import { randomUUID } from 'node:crypto'
import type { AddClusterInput, Twin } from '../../twin/index.ts'
import { runAction, type ActionRun } from './run-action.ts'

export const ISSUER = 'https://token.actions.githubusercontent.com'
export const MAIN_SUBJECT = 'repo:octo-org/octo-app:ref:refs/heads/main'
export const AUDIENCE = 'api://AzureADTokenExchange'

/** One tenant, two subscriptions and the action's own identity, shared by the tests of a file. */
export interface World {
  twin: Twin
  tenantId: string
  subscriptionId: string
  otherSubscriptionId: string
  clientId: string
  callerObjectId: string
}

export function buildWorld(twin: Twin): World {
  const tenantId = randomUUID()
  const subscriptionId = randomUUID()
  const otherSubscriptionId = randomUUID()
  twin.addTenant({ id: tenantId })
  twin.addSubscription(subscriptionId, { tenantId })
  twin.addSubscription(otherSubscriptionId, { tenantId })
  const app = twin.addApp({
    tenantId,
    clientId: randomUUID(),
    federatedCredentials: [{ issuer: ISSUER, subject: MAIN_SUBJECT, audiences: [AUDIENCE] }],
    graphRead: true
  })
  // The deploying identity's own grants are old news: long propagated everywhere.
  const longAgo = new Date(Date.now() - 30 * 86_400_000).toISOString()
  for (const sub of [subscriptionId, otherSubscriptionId]) {
    twin.addRoleAssignment({ scope: `/subscriptions/${sub}`, role: 'Owner', principalId: app.objectId, createdOn: longAgo })
  }
  return { twin, tenantId, subscriptionId, otherSubscriptionId, clientId: app.clientId, callerObjectId: app.objectId }
}

let counter = 0

/** A registry of its own, for runs that need no cluster (import alone). */
export function freshRegistry(world: World) {
  counter++
  return world.twin.addRegistry({
    subscriptionId: world.subscriptionId,
    resourceGroup: `rg-${counter}`,
    name: `acr${counter}x${randomUUID().slice(0, 6)}`
  })
}

/** A fresh cluster and registry per test, so tests sharing a twin never see each other's assignments. */
export function freshPair(
  world: World,
  options: {
    registrySubscription?: string
    roleAssignmentMode?: 'LegacyRegistryPermissions' | 'AbacRepositoryPermissions'
    identity?: 'managedIdentity' | 'servicePrincipal'
    kubeletVisibleAfterMs?: number
    /** More of the cluster's settings (private, authorized IP ranges, Entra ID, ...). */
    cluster?: Partial<AddClusterInput>
  } = {}
) {
  counter++
  const group = `rg-${counter}`
  const cluster = world.twin.addCluster({
    subscriptionId: world.subscriptionId,
    resourceGroup: group,
    name: `aks-${counter}`,
    identity: options.identity ?? 'managedIdentity',
    kubeletVisibleAfterMs: options.kubeletVisibleAfterMs,
    ...options.cluster
  })
  const registry = world.twin.addRegistry({
    subscriptionId: options.registrySubscription ?? world.subscriptionId,
    resourceGroup: options.registrySubscription ? `shared-${counter}` : group,
    name: `acr${counter}x${randomUUID().slice(0, 6)}`,
    roleAssignmentMode: options.roleAssignmentMode
  })
  return { cluster, registry, group }
}

/** The inputs every run shares; without a cluster for runs that need none (import alone). */
export function baseInputs(
  world: World,
  cluster: { name: string; resourceGroup: string } | undefined,
  registry: string
): Record<string, string> {
  return {
    mode: 'attach',
    ...(cluster ? { cluster: cluster.name, 'resource-group': cluster.resourceGroup } : {}),
    registry,
    'subscription-id': world.subscriptionId,
    'tenant-id': world.tenantId,
    'client-id': world.clientId,
    'arm-endpoint': world.twin.url,
    'authority-host': world.twin.url,
    'graph-endpoint': world.twin.url
  }
}

export function run(world: World, inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionRun> {
  return runAction(inputs, { ...world.twin.env(), ...env })
}

/** Requests the twin served from `since` on (an index into twin.requests). */
export function requestsSince(world: World, since: number) {
  return world.twin.requests.slice(since)
}

const JWT = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/

/**
 * Nothing that carries a credential may reach the log, the outputs or the summary. `::add-mask::`
 * commands are how a secret is registered with the runner, which consumes them and never shows
 * them, so they are left out; every other line is what the job log would show.
 */
export function expectNoSecrets(result: ActionRun, secrets: string[] = []): void {
  const shown = result.log
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
  const everything = [shown, result.summary, ...Object.values(result.outputs)].join('\n')
  const jwt = JWT.exec(everything)
  if (jwt) throw new Error(`a JWT appears in the action's log, outputs or summary: ${jwt[0].slice(0, 20)}...`)
  for (const secret of secrets) {
    if (everything.includes(secret)) throw new Error('a secret appears in the log, outputs or summary')
  }
}
