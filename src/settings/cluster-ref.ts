import { InputError } from '../errors.js'
import { isResourceGroupName, looksLikeResourceId, parseResourceId, type ResourceId } from './resource-id.js'

/** AKS's rule: 1-63 letters, digits, hyphens and underscores, starting and ending with a letter or digit. */
export function isClusterName(value: string): boolean {
  return /^[a-zA-Z0-9](?:[-\w]{0,61}[a-zA-Z0-9])?$/.test(value)
}

export function parseClusterRef(rawCluster: string, rawGroup: string, subscriptionId: string | undefined): ResourceId {
  const cluster = rawCluster.trim()
  const group = rawGroup.trim()
  if (cluster.length === 0) {
    throw new InputError('cluster', "is required: give the AKS cluster's name (with 'resource-group') or its resource ID")
  }

  if (looksLikeResourceId(cluster)) {
    const resource = parseResourceId('cluster', cluster, 'Microsoft.ContainerService/managedClusters')
    if (group.length > 0 && group.toLowerCase() !== resource.resourceGroup.toLowerCase()) {
      throw new InputError(
        'resource-group',
        `'${group}' contradicts the resource group '${resource.resourceGroup}' in 'cluster'; leave it empty when 'cluster' is a resource ID`
      )
    }
    if (!isClusterName(resource.name)) {
      throw new InputError('cluster', `'${resource.name}' cannot be an AKS cluster name`)
    }
    return resource
  }

  if (!isClusterName(cluster)) {
    throw new InputError(
      'cluster',
      `'${cluster}' cannot be an AKS cluster name (1-63 letters, digits, hyphens, underscores) or a resource ID`
    )
  }
  if (group.length === 0) {
    throw new InputError('resource-group', `is required when 'cluster' is a name ('${cluster}'); or give the cluster's resource ID`)
  }
  if (!isResourceGroupName(group)) {
    throw new InputError('resource-group', `'${group}' is not a valid resource group name`)
  }
  if (subscriptionId === undefined) {
    throw new InputError(
      'subscription-id',
      "is required when 'cluster' is a name: set it, or AZURE_SUBSCRIPTION_ID, or give the cluster's resource ID"
    )
  }
  const id = `/subscriptions/${subscriptionId}/resourceGroups/${group}/providers/Microsoft.ContainerService/managedClusters/${cluster}`
  return {
    id,
    subscriptionId,
    resourceGroup: group,
    provider: 'Microsoft.ContainerService',
    type: 'Microsoft.ContainerService/managedClusters',
    name: cluster
  }
}
