import * as core from '@actions/core'
import { AKS_SERVER_APP_SCOPE } from '../azure/cluster-credentials.js'
import type { ApiServerAccess, Cluster } from '../azure/clusters.js'
import { runClusterCommand } from '../azure/run-command.js'
import { ActionError } from '../errors.js'
import type { ClusterApi, Transport } from '../kube/cluster-api.js'
import { DirectCluster } from '../kube/direct-cluster.js'
import { KubeClient } from '../kube/kube-client.js'
import { kubeconfigSecrets, parseKubeconfig, type ApiServerCredentials } from '../kube/kubeconfig.js'
import { RunCommandCluster } from '../kube/run-command-cluster.js'
import { NetworkError } from '../net/network-error.js'
import type { ClusterAccessSetting } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'

/** How long `auto` tries a private or IP-restricted API server before it turns to run command. */
const TRY_DIRECT_CONNECT_MS = 5000

export interface ClusterConnection {
  cluster: ClusterApi
  /** Why this transport, in a sentence for the log and the summary. */
  why: string
  /** Direct connections: what a kubeconfig for later steps needs. */
  credentials: ApiServerCredentials | undefined
  /** The bearer token to write into such a kubeconfig, when it uses one. */
  currentToken(): Promise<string | undefined>
}

export interface ConnectionContext {
  session: AzureSession
  access: ClusterAccessSetting
  /** The kubeconfig ARM handed out; undefined when the run asked for run command only. */
  kubeconfig: Promise<string> | undefined
  cluster: Pick<Cluster, 'id' | 'name' | 'resourceGroup' | 'subscriptionId' | 'apiServer' | 'entraId'>
}

/**
 * The one way steps reach a cluster, chosen once: `direct` talks to the API server (the kubeconfig
 * ARM hands out, with a token for the AKS server application on every request: no kubelogin);
 * `run-command` goes through the AKS run-command API; `auto` goes direct to a public API server, and
 * to a private or IP-restricted one only when a short try shows the runner can reach it (a
 * self-hosted runner in its network), else through run command.
 */
export async function connectToCluster(context: ConnectionContext): Promise<ClusterConnection> {
  const { cluster } = context
  const restricted = cluster.apiServer.privateCluster || cluster.apiServer.authorizedIpRanges.length > 0
  let choice: { transport: Transport; why: string }
  if (context.access !== 'auto') {
    choice = { transport: context.access, why: `'cluster-access' is ${context.access}` }
  } else if (!restricted) {
    choice = { transport: 'direct', why: 'the API server is public' }
  } else {
    const tried = await tryDirect(context)
    if (tried.transport === 'direct') return tried.connection
    choice = tried
  }
  const connection =
    choice.transport === 'direct' ? { ...(await openDirect(context)), why: choice.why } : { ...openRunCommand(context), why: choice.why }
  announce(connection)
  return connection
}

/**
 * auto on a private or IP-restricted API server: direct when a short try reaches it, else run
 * command. An identity that may not fetch the kubeconfig (listClusterUserCredential) but may use
 * run command is not stopped by that either.
 */
async function tryDirect(
  context: ConnectionContext
): Promise<{ transport: 'direct'; connection: ClusterConnection } | { transport: 'run-command'; why: string }> {
  const { cluster } = context
  const where = `the ${restriction(cluster.apiServer)} API server`
  let direct
  try {
    direct = await openDirect(context, TRY_DIRECT_CONNECT_MS)
  } catch (error) {
    if (!(error instanceof ActionError) || cluster.apiServer.runCommandDisabled) throw error
    return { transport: 'run-command', why: `no kubeconfig for ${where} (${error.message})` }
  }
  const tried = await direct.cluster.reachable()
  if (tried === true) {
    const connection = { ...direct, why: `the runner reaches ${where}` }
    announce(connection)
    return { transport: 'direct', connection }
  }
  direct.cluster.close()
  if (cluster.apiServer.runCommandDisabled) {
    throw new ActionError(`The runner cannot reach ${where} of AKS cluster '${cluster.name}', and the cluster disables run command`, {
      code: tried.code,
      detail: tried.reason,
      hint: "Run the job on a self-hosted runner in the cluster's network, or enable run command (az aks update --enable-run-command)",
      cause: tried
    })
  }
  return { transport: 'run-command', why: `${where} is out of the runner's reach (${tried.reason})` }
}

function announce(connection: ClusterConnection): void {
  const how = connection.cluster.transport === 'direct' ? `directly at ${connection.cluster.endpoint}` : 'through the AKS run-command API'
  core.info(`Reaching the cluster ${how}: ${connection.why}`)
}

function restriction(apiServer: ApiServerAccess): string {
  return apiServer.privateCluster ? 'private' : 'IP-restricted'
}

async function openDirect(
  context: ConnectionContext,
  connectTimeoutMs?: number
): Promise<Omit<ClusterConnection, 'why'> & { cluster: DirectCluster }> {
  if (!context.kubeconfig)
    throw new ActionError(`No kubeconfig for AKS cluster '${context.cluster.name}'`, {
      hint: "'cluster-access: run-command' skips it; use auto or direct"
    })
  const credentials = parseKubeconfig(await context.kubeconfig)
  for (const secret of kubeconfigSecrets(credentials)) core.setSecret(secret)
  const { session } = context
  const token = credentials.needsEntraToken
    ? async (fresh: boolean) => {
        if (fresh) session.credential.invalidate(AKS_SERVER_APP_SCOPE)
        return (await session.credential.getToken(AKS_SERVER_APP_SCOPE)).token
      }
    : credentials.token
      ? async () => credentials.token
      : undefined
  const client = new KubeClient({
    server: credentials.server,
    caPem: credentials.caPem,
    clientCertPem: credentials.clientCertPem,
    clientKeyPem: credentials.clientKeyPem,
    token,
    connectTimeoutMs,
    explainUnreachable: (error) => explainUnreachable(error, context.cluster.name, context.cluster.apiServer)
  })
  return { cluster: new DirectCluster(client, session.mutations), credentials, currentToken: async () => token?.(false) }
}

function openRunCommand(context: ConnectionContext): Omit<ClusterConnection, 'why'> {
  const { session, cluster } = context
  if (cluster.apiServer.runCommandDisabled) {
    throw new ActionError(`AKS cluster '${cluster.name}' disables run command (apiServerAccessProfile.disableRunCommand)`, {
      hint: "Enable it (az aks update --enable-run-command), or set 'cluster-access: direct' on a runner that reaches the API server"
    })
  }
  const runner = {
    async run(command: string, files: Record<string, string>, signal: AbortSignal, repeatable: boolean) {
      // The command's kubectl signs in as this run's identity on Entra ID clusters.
      const clusterToken = cluster.entraId ? (await session.credential.getToken(AKS_SERVER_APP_SCOPE)).token : undefined
      return runClusterCommand(session.credential, session.cloud, cluster, { command, files, clusterToken, repeatable }, signal)
    }
  }
  return {
    cluster: new RunCommandCluster(runner, session.mutations, `the run-command API of AKS cluster '${cluster.name}'`),
    credentials: undefined,
    currentToken: async () => undefined
  }
}

/** Why the runner could not reach the API server, as far as the cluster's ARM properties tell. */
export function explainUnreachable(error: NetworkError, clusterName: string, apiServer: ApiServerAccess | undefined): ActionError {
  const what = `Could not reach the API server of AKS cluster '${clusterName}' at ${error.host}`
  if (apiServer?.privateCluster) {
    return new ActionError(what, {
      code: error.code,
      detail: `${error.reason}. The cluster is private (apiServerAccessProfile.enablePrivateCluster): its API server has only a private address in the cluster's virtual network`,
      hint: "Run this job on a self-hosted runner in that virtual network (or one peered or connected to it), or leave 'cluster-access' on auto so the action uses run command",
      cause: error
    })
  }
  if (apiServer && apiServer.authorizedIpRanges.length > 0) {
    return new ActionError(what, {
      code: error.code,
      detail: `${error.reason}. The API server accepts connections only from its authorized IP ranges (apiServerAccessProfile.authorizedIPRanges: ${apiServer.authorizedIpRanges.join(', ')})`,
      hint: "Add the runner's outbound IP to them (az aks update --api-server-authorized-ip-ranges), run this job on a self-hosted runner inside one, or leave 'cluster-access' on auto so the action uses run command",
      cause: error
    })
  }
  return new ActionError(what, {
    code: error.code,
    detail: `${error.reason}. The cluster's settings show no private API server and no IP restriction`,
    hint: "Check the runner's network path to it (firewalls; HTTPS_PROXY and NO_PROXY on self-hosted runners)",
    cause: error
  })
}
