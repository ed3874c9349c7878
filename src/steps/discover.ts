import * as core from '@actions/core'
import { findCluster } from '../azure/clusters.js'
import { servicePrincipalObjectId } from '../azure/graph.js'
import { findRegistry, type Registry } from '../azure/registries.js'
import type { Discovery } from '../plan/discovery.js'
import type { ResourceId } from '../settings/resource-id.js'
import type { Settings } from '../settings/settings.js'
import { permissionsModeName } from '../report/words.js'
import type { AzureSession } from './azure-session.js'

/** Finds the registry every mode works on; logged as soon as it is known. */
export async function discoverRegistry(settings: Settings, session: AzureSession, found: Partial<Discovery>): Promise<Registry> {
  const registry = await findRegistry(session.credential, session.cloud, settings.registry, settings.subscriptionId)
  found.registry = registry
  core.info(`Registry ${registry.name}: ${registry.loginServer}, ${permissionsModeName(registry.permissionsMode)}, in subscription ${registry.subscriptionId}`)
  return registry
}

/**
 * What attach and detach need: the cluster's kubelet identity and the registry's role assignments.
 * The assignments are listed as soon as the registry is known, without waiting for the cluster:
 * they are filtered by principal later.
 */
export async function discoverAccess(
  clusterRef: ResourceId,
  session: AzureSession,
  registryFound: Promise<Registry>,
  found: Partial<Discovery>,
  listAssignments: boolean
): Promise<Discovery> {
  const clusterSide = (async () => {
    const cluster = await findCluster(session.credential, session.cloud, clusterRef)
    found.cluster = cluster
    const kubelet = cluster.kubelet
    const objectId = (
      kubelet.kind === 'managed-identity' ? kubelet.objectId : await servicePrincipalObjectId(session.credential, session.cloud, kubelet.clientId)
    ).toLowerCase()
    found.kubeletObjectId = objectId
    const kind = kubelet.kind === 'managed-identity' ? 'managed identity' : `service principal ${kubelet.clientId}`
    core.info(`Cluster ${cluster.name} (${cluster.location}): kubelet ${kind}, object ID ${objectId}`)
    return { cluster, objectId }
  })()
  const registrySide = (async () => {
    const registry = await registryFound
    // Deploy alone needs the assignments only to diagnose a failure, and reads them fresh then.
    const assignments = listAssignments ? await session.roleAssignments.listAtScope(registry.id) : []
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
