// The twin's world for the benchmarks: one tenant, one subscription and the action's identity,
// then a fresh cluster and/or registry per measured run, so no run ever sees another's state.
// Copied (not imported) from __tests__/e2e/world.ts and workspace.ts: those use `.js` specifiers
// for `.ts` files, which plain Node's type stripping does not resolve.
import { randomUUID } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Twin } from '../twin/index.ts'

export const ISSUER = 'https://token.actions.githubusercontent.com'
export const MAIN_SUBJECT = 'repo:octo-org/octo-app:ref:refs/heads/main'
export const AUDIENCE = 'api://AzureADTokenExchange'

export interface World {
  twin: Twin
  tenantId: string
  subscriptionId: string
  clientId: string
}

export function buildWorld(twin: Twin): World {
  const tenantId = randomUUID()
  const subscriptionId = randomUUID()
  twin.addTenant({ id: tenantId })
  twin.addSubscription(subscriptionId, { tenantId })
  const app = twin.addApp({
    tenantId,
    clientId: randomUUID(),
    federatedCredentials: [{ issuer: ISSUER, subject: MAIN_SUBJECT, audiences: [AUDIENCE] }],
    graphRead: true
  })
  twin.addRoleAssignment({ scope: `/subscriptions/${subscriptionId}`, role: 'Owner', principalId: app.objectId })
  return { twin, tenantId, subscriptionId, clientId: app.clientId }
}

let counter = 0

/** A registry of its own (in its own resource group), for runs that need no cluster. */
export function freshRegistry(world: World) {
  counter++
  return world.twin.addRegistry({
    subscriptionId: world.subscriptionId,
    resourceGroup: `bench-rg-${counter}`,
    name: `bench${counter}x${randomUUID().slice(0, 6)}`
  })
}

/** A fresh cluster and registry in one resource group (freshPair in __tests__/e2e/world.ts). */
export function freshPair(world: World) {
  counter++
  const group = `bench-rg-${counter}`
  const cluster = world.twin.addCluster({
    subscriptionId: world.subscriptionId,
    resourceGroup: group,
    name: `aks-${counter}`,
    identity: 'managedIdentity'
  })
  const registry = world.twin.addRegistry({
    subscriptionId: world.subscriptionId,
    resourceGroup: group,
    name: `bench${counter}x${randomUUID().slice(0, 6)}`
  })
  return { cluster, registry, group }
}

/** The inputs every run shares; `cluster` is left out for runs that need none (import alone). */
export function baseInputs(world: World, registry: string, cluster?: { name: string; resourceGroup: string }): Record<string, string> {
  return {
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

/** Temporary directories the bench made, removed at the end (or on interruption). */
const temps = new Set<string>()
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aks-acr-bench-${prefix}-`))
  temps.add(dir)
  return dir
}
export function removeTemps(): void {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
  temps.clear()
}

/** A checkout for GITHUB_WORKSPACE holding the given files (path → contents). */
export function workspaceWith(files: Record<string, string>): string {
  const root = tempDir('workspace')
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

export function deployment(name: string, image: string, options: { replicas?: number; deadline?: number } = {}): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  replicas: ${options.replicas ?? 2}
${options.deadline ? `  progressDeadlineSeconds: ${options.deadline}\n` : ''}  selector:
    matchLabels:
      app: ${name}
  template:
    metadata:
      labels:
        app: ${name}
    spec:
      containers:
      - name: main
        image: ${image}
        ports:
        - containerPort: 80
`
}
