import type { Twin } from './index.ts'
import type { App, Cluster, Registry } from './state.ts'
import { GITHUB_ISSUER } from './github-oidc.ts'

/** The README's happy path, with ids fixed so tests, demos and docs can quote them. */
export const SCENARIO = {
  TENANT_ID: '7a1e4c3b-0d5f-4e2a-9b8c-1f2e3d4c5b6a',
  TENANT_NAME: 'Contoso',
  SUB: '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9',
  OTHER_SUB: '9f8e7d6c-5b4a-4392-8170-e6d5c4b3a291',
  CLIENT_ID: 'c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f',
  APP_OBJECT_ID: 'e5f4d3c2-b1a0-4f9e-8d7c-6b5a4f3e2d1c',
  APP_NAME: 'github-octo-app-deployer',
  ISSUER: GITHUB_ISSUER,
  SUBJECT: 'repo:octo-org/octo-app:ref:refs/heads/main',
  AUDIENCE: 'api://AzureADTokenExchange',
  RESOURCE_GROUP: 'myResourceGroup',
  LOCATION: 'eastus',
  CLUSTER: 'myAKSCluster',
  REGISTRY: 'myacr',
  ARM_SCOPE: 'https://management.core.windows.net//.default',
  GRAPH_SCOPE: 'https://graph.microsoft.com/.default'
} as const

export interface Scenario {
  ids: typeof SCENARIO
  app: App
  cluster: Cluster
  registry: Registry
  /** Object id of the kubelet identity: the principal a pull role goes to. */
  kubeletObjectId: string
}

export interface ScenarioOptions {
  /** Give the action's app Graph Application.Read.All (needed only for service-principal clusters). */
  graphRead?: boolean
  kubeletVisibleAfterMs?: number
}

export function seedScenario(twin: Twin, opts: ScenarioOptions = {}): Scenario {
  const s = SCENARIO
  twin.addTenant({ id: s.TENANT_ID, displayName: s.TENANT_NAME })
  twin.addSubscription(s.SUB, { tenantId: s.TENANT_ID, displayName: 'Production' })
  twin.addSubscription(s.OTHER_SUB, { tenantId: s.TENANT_ID, displayName: 'Shared services' })
  const app = twin.addApp({
    tenantId: s.TENANT_ID,
    clientId: s.CLIENT_ID,
    objectId: s.APP_OBJECT_ID,
    displayName: s.APP_NAME,
    federatedCredentials: [{ name: 'main', issuer: s.ISSUER, subject: s.SUBJECT, audiences: [s.AUDIENCE] }],
    graphRead: opts.graphRead ?? false
  })
  // Set up long before the run: propagated everywhere, whatever `rbacPropagationMs` says.
  const longAgo = new Date(Date.now() - 30 * 86_400_000).toISOString()
  twin.addRoleAssignment({ scope: `/subscriptions/${s.SUB}`, role: 'Owner', principalId: app.objectId, createdOn: longAgo })
  twin.addRoleAssignment({ scope: `/subscriptions/${s.OTHER_SUB}`, role: 'Owner', principalId: app.objectId, createdOn: longAgo })
  twin.addResourceGroup(s.SUB, s.RESOURCE_GROUP, s.LOCATION)
  const cluster = twin.addCluster({
    subscriptionId: s.SUB,
    resourceGroup: s.RESOURCE_GROUP,
    name: s.CLUSTER,
    location: s.LOCATION,
    identity: 'managedIdentity',
    kubeletVisibleAfterMs: opts.kubeletVisibleAfterMs
  })
  const registry = twin.addRegistry({
    subscriptionId: s.SUB,
    resourceGroup: s.RESOURCE_GROUP,
    name: s.REGISTRY,
    roleAssignmentMode: 'LegacyRegistryPermissions'
  })
  return { ids: s, app, cluster, registry, kubeletObjectId: cluster.pullPrincipalId }
}

/** The action's inputs for the happy path against this twin (names as in action.yml). */
export function scenarioInputs(twin: Twin): Record<string, string> {
  const s = SCENARIO
  return {
    mode: 'attach',
    cluster: s.CLUSTER,
    'resource-group': s.RESOURCE_GROUP,
    registry: s.REGISTRY,
    'subscription-id': s.SUB,
    'tenant-id': s.TENANT_ID,
    'client-id': s.CLIENT_ID,
    audience: s.AUDIENCE,
    environment: 'AzureCloud',
    'arm-endpoint': twin.url,
    'authority-host': twin.url,
    'graph-endpoint': twin.url
  }
}

/** `INPUT_<NAME>` variables, as the runner passes inputs to a node action. */
export const inputEnv = (inputs: Record<string, string>) =>
  Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.replace(/ /g, '_').toUpperCase()}`, v]))
