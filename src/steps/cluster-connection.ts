import { ActionError } from '../errors.js'
import { AKS_SERVER_APP_SCOPE } from '../azure/cluster-credentials.js'
import type { ApiServerAccess } from '../azure/clusters.js'
import { KubeClient } from '../kube/kube-client.js'
import { parseKubeconfig, type ClusterAccess } from '../kube/kubeconfig.js'
import type { NetworkError } from '../net/network-error.js'
import type { AzureSession } from './azure-session.js'

export interface ClusterConnection {
  client: KubeClient
  access: ClusterAccess
  /** The bearer token to write into a kubeconfig for later steps, when the kubeconfig uses one. */
  currentToken(): Promise<string | undefined>
}

/**
 * The one way steps reach a cluster's API server: the kubeconfig ARM handed out, with a token for
 * the AKS server application asked for on every request (Entra ID clusters; no kubelogin), and
 * failures to connect explained from the cluster's own network settings.
 */
export async function connectToCluster(
  session: AzureSession,
  kubeconfig: Promise<string>,
  cluster: { name: string; apiServer: ApiServerAccess | undefined }
): Promise<ClusterConnection> {
  const access = parseKubeconfig(await kubeconfig)
  const token = access.needsEntraToken
    ? async (fresh: boolean) => {
        if (fresh) session.credential.invalidate(AKS_SERVER_APP_SCOPE)
        return (await session.credential.getToken(AKS_SERVER_APP_SCOPE)).token
      }
    : access.token
      ? async () => access.token
      : undefined
  const client = new KubeClient({
    server: access.server,
    caPem: access.caPem,
    clientCertPem: access.clientCertPem,
    clientKeyPem: access.clientKeyPem,
    token,
    explainUnreachable: (error) => explainUnreachable(error, cluster.name, cluster.apiServer)
  })
  return { client, access, currentToken: async () => token?.(false) }
}

/** Why the runner could not reach the API server, as far as the cluster's ARM properties tell. */
export function explainUnreachable(error: NetworkError, clusterName: string, apiServer: ApiServerAccess | undefined): ActionError {
  const what = `Could not reach the API server of AKS cluster '${clusterName}' at ${error.host}`
  if (apiServer?.privateCluster) {
    return new ActionError(what, {
      code: error.code,
      detail: `${error.reason}. The cluster is private (apiServerAccessProfile.enablePrivateCluster): its API server has only a private address in the cluster's virtual network`,
      hint: 'Run this job on a self-hosted runner in that virtual network (or one peered or connected to it)',
      cause: error
    })
  }
  if (apiServer && apiServer.authorizedIpRanges.length > 0) {
    return new ActionError(what, {
      code: error.code,
      detail: `${error.reason}. The API server accepts connections only from its authorized IP ranges (apiServerAccessProfile.authorizedIPRanges: ${apiServer.authorizedIpRanges.join(', ')})`,
      hint: "Add the runner's outbound IP to them (az aks update --api-server-authorized-ip-ranges), or run this job on a self-hosted runner inside one",
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
