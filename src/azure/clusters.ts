import type { TokenCredential } from '@azure/identity'
import { createContainerService } from '@azure/arm-containerservice/api'
import { get as getManagedCluster } from '@azure/arm-containerservice/api/managedClusters'
import type { ResourceId } from '../settings/resource-id.js'
import { ActionError, describeFailure } from '../errors.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import type { Cloud } from '../settings/clouds.js'

/** The identity the cluster's nodes pull images as. */
export type KubeletIdentity =
  | { kind: 'managed-identity'; objectId: string; clientId: string | undefined; resourceId: string | undefined }
  | { kind: 'service-principal'; clientId: string }

/** How the cluster's API server can be reached, from `apiServerAccessProfile` (docs/azure.md). */
export interface ApiServerAccess {
  /** Only a private IP in the cluster's VNet: runners outside it cannot connect. */
  privateCluster: boolean
  /** When set, connections from anywhere else are dropped (they time out). */
  authorizedIpRanges: string[]
  fqdn: string | undefined
  privateFqdn: string | undefined
  /** `az aks command invoke` / the runCommand API is turned off. */
  runCommandDisabled: boolean
}

export interface Cluster {
  id: string
  name: string
  resourceGroup: string
  subscriptionId: string
  location: string
  kubelet: KubeletIdentity
  apiServer: ApiServerAccess
  /** AKS-managed Entra ID: its API server takes tokens for the AKS server application (and run command needs one). */
  entraId: boolean
}

export async function findCluster(credential: TokenCredential, cloud: Cloud, ref: ResourceId): Promise<Cluster> {
  const context = createContainerService(credential, ref.subscriptionId, modularClientOptions(cloud, API_VERSIONS.containerService))
  let cluster: Awaited<ReturnType<typeof getManagedCluster>>
  try {
    cluster = await getManagedCluster(context, ref.resourceGroup, ref.name)
  } catch (error) {
    const failure = describeFailure(error)
    const hint =
      failure.status === 404
        ? "Check 'cluster', 'resource-group' and 'subscription-id'"
        : failure.status === 403
          ? `Grant the signed-in identity Reader (or 'Azure Kubernetes Service Cluster User Role' plus Reader) on ${ref.id}`
          : undefined
    throw new ActionError(`Could not read AKS cluster '${ref.name}' in resource group '${ref.resourceGroup}'`, {
      code: failure.code,
      detail: failure.message,
      hint,
      cause: error
    })
  }
  return {
    id: cluster.id ?? ref.id,
    name: cluster.name ?? ref.name,
    resourceGroup: ref.resourceGroup,
    subscriptionId: ref.subscriptionId,
    location: cluster.location,
    kubelet: kubeletIdentityOf(cluster, ref),
    apiServer: {
      privateCluster: cluster.apiServerAccessProfile?.enablePrivateCluster === true,
      authorizedIpRanges: cluster.apiServerAccessProfile?.authorizedIPRanges ?? [],
      fqdn: cluster.fqdn,
      privateFqdn: cluster.privateFqdn,
      runCommandDisabled: cluster.apiServerAccessProfile?.disableRunCommand === true
    },
    entraId: cluster.aadProfile?.managed === true
  }
}

function kubeletIdentityOf(
  cluster: {
    identityProfile?: Record<string, { objectId?: string; clientId?: string; resourceId?: string }>
    servicePrincipalProfile?: { clientId?: string }
  },
  ref: ResourceId
): KubeletIdentity {
  const kubelet = cluster.identityProfile?.kubeletidentity
  if (kubelet?.objectId) {
    return { kind: 'managed-identity', objectId: kubelet.objectId, clientId: kubelet.clientId, resourceId: kubelet.resourceId }
  }
  const clientId = cluster.servicePrincipalProfile?.clientId
  if (clientId && clientId.toLowerCase() !== 'msi') return { kind: 'service-principal', clientId }
  throw new ActionError(`AKS cluster '${ref.name}' reports neither a kubelet identity nor a service principal`, {
    hint: 'The cluster may still be provisioning; re-run when `az aks show` reports provisioningState Succeeded'
  })
}
