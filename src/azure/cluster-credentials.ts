import type { TokenCredential } from '@azure/identity'
import { createContainerService } from '@azure/arm-containerservice/api'
import { listClusterAdminCredentials, listClusterUserCredentials } from '@azure/arm-containerservice/api/managedClusters'
import type { ResourceId } from '../settings/resource-id.js'
import { ActionError, describeFailure } from '../errors.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import type { Cloud } from '../settings/clouds.js'

/** Audience of the AKS Entra ID server application: what kubelogin asks tokens for. */
export const AKS_SERVER_APP_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default'

/**
 * The cluster's kubeconfig as ARM hands it out (`az aks get-credentials`), kept in memory.
 * `admin` asks for the local admin account, which clusters with local accounts disabled refuse.
 */
export async function clusterKubeconfig(credential: TokenCredential, cloud: Cloud, cluster: ResourceId, admin: boolean): Promise<string> {
  const context = createContainerService(credential, cluster.subscriptionId, modularClientOptions(cloud, API_VERSIONS.containerService))
  let result
  try {
    result = admin
      ? await listClusterAdminCredentials(context, cluster.resourceGroup, cluster.name)
      : await listClusterUserCredentials(context, cluster.resourceGroup, cluster.name)
  } catch (error) {
    const failure = describeFailure(error)
    const disabled = /disable local accounts|local accounts/i.test(failure.message)
    const action = admin ? 'listClusterAdminCredential' : 'listClusterUserCredential'
    throw new ActionError(`Could not get ${admin ? 'admin' : 'user'} credentials for AKS cluster '${cluster.name}'`, {
      code: failure.code,
      detail: failure.message,
      hint: disabled
        ? "The cluster disables local accounts: remove 'admin: true' and give the signed-in identity a Kubernetes role through Entra ID (Azure Kubernetes Service RBAC Writer, or a RoleBinding)"
        : failure.status === 403
          ? `Grant the signed-in identity Microsoft.ContainerService/managedClusters/${action}/action on ${cluster.id} ('Azure Kubernetes Service Cluster ${admin ? 'Admin' : 'User'} Role')`
          : undefined,
      cause: error
    })
  }
  const value = result.kubeconfigs?.[0]?.value
  if (!value) throw new ActionError(`ARM returned no kubeconfig for AKS cluster '${cluster.name}'`)
  return Buffer.from(value).toString('utf8')
}
