import * as core from '@actions/core'
import { findCluster } from '../azure/clusters.js'
import { servicePrincipalObjectId } from '../azure/graph.js'
import { findRegistry } from '../azure/registries.js'
import type { Discovery } from '../plan/discovery.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'

/**
 * Reads the cluster and the registry concurrently. The registry's role assignments are listed as
 * soon as its ID is known, without waiting for the cluster: they are filtered by principal later.
 */
export async function discover(settings: Settings, session: AzureSession, found: Partial<Discovery>): Promise<Discovery> {
  const clusterSide = (async () => {
    const cluster = await findCluster(session.credential, session.cloud, settings.cluster)
    found.cluster = cluster
    const kubelet = cluster.kubelet
    const objectId = kubelet.kind === 'managed-identity' ? kubelet.objectId : await servicePrincipalObjectId(session.credential, session.cloud, kubelet.clientId)
    found.kubeletObjectId = objectId.toLowerCase()
    core.info(
      `Cluster ${cluster.name} (${cluster.location}): kubelet ${kubelet.kind === 'managed-identity' ? 'managed identity' : `service principal ${kubelet.clientId}`}, object ID ${found.kubeletObjectId}`
    )
    return { cluster, objectId: found.kubeletObjectId }
  })()
  const registrySide = (async () => {
    const registry = await findRegistry(session.credential, session.cloud, settings.registry, settings.subscriptionId)
    found.registry = registry
    core.info(`Registry ${registry.name}: ${registry.loginServer}, ${registry.permissionsMode}, in subscription ${registry.subscriptionId}`)
    const assignments = await session.roleAssignments.listAtScope(registry.id)
    found.assignments = assignments
    return { registry, assignments }
  })()

  // allSettled so one side's failure does not leave the other running unobserved.
  const [clusterResult, registryResult] = await Promise.allSettled([clusterSide, registrySide])
  if (clusterResult.status === 'rejected') throw clusterResult.reason
  if (registryResult.status === 'rejected') throw registryResult.reason
  return {
    cluster: clusterResult.value.cluster,
    kubeletObjectId: clusterResult.value.objectId,
    registry: registryResult.value.registry,
    assignments: registryResult.value.assignments
  }
}
