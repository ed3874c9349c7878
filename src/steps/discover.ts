import * as core from '@actions/core'
import { findCluster } from '../azure/clusters.js'
import { servicePrincipalObjectId } from '../azure/graph.js'
import { findRegistry, permissionsModeName, type Registry } from '../azure/registries.js'
import type { Discovery } from '../plan/discovery.js'
import type { ResourceId } from '../settings/resource-id.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { discoverImports } from './discover-imports.js'
import { discoverRegistryToCreate } from './discover-registry-to-create.js'

/** What the requested modes need read before they plan (the union of their needs). */
export interface Needs {
  /** The cluster and its kubelet identity. */
  cluster: boolean
  /** Role assignments at and above the registry. */
  assignments: boolean
  /** Source digests and existing target tags of `images`. */
  imports: boolean
}

/**
 * Reads everything the requested modes need, concurrently, into `found` as it arrives (so a
 * failure part-way still leaves the report what was learnt). The registry is read for every mode;
 * its assignments and the import sources as soon as it is known, without waiting for the cluster.
 * Parts no requested mode needs stay unset.
 */
export async function discover(settings: Settings, session: AzureSession, needs: Needs, found: Partial<Discovery>): Promise<Discovery> {
  const creation = settings.registryCreation
  const registry = creation ? discoverRegistryToCreate(creation, settings, session, found) : discoverRegistry(settings, session, found)
  // A registry still to be created inherits its resource group's assignments and holds no tags.
  const missing = () => found.registryState?.exists === false
  const assignmentScope = (r: Registry) => (missing() ? `/subscriptions/${r.subscriptionId}/resourceGroups/${r.resourceGroup}` : r.id)
  const reads: Array<Promise<unknown>> = [registry]
  if (needs.cluster && settings.cluster) reads.push(discoverCluster(settings.cluster, session, found))
  if (needs.assignments)
    reads.push(registry.then(async (r) => (found.assignments = await session.roleAssignments.listAtScope(assignmentScope(r)))))
  if (needs.imports) reads.push(registry.then(async (r) => (found.imports = await discoverImports(settings, session, r, missing()))))
  // allSettled so one read's failure does not leave the others running unobserved.
  for (const result of await Promise.allSettled(reads)) if (result.status === 'rejected') throw result.reason
  found.assignments ??= []
  return found as Discovery
}

/** Finds the registry every mode works on; logged as soon as it is known. */
async function discoverRegistry(settings: Settings, session: AzureSession, found: Partial<Discovery>): Promise<Registry> {
  const registry = await findRegistry(session.credential, session.cloud, settings.registry, settings.subscriptionId)
  found.registry = registry
  core.info(
    `Registry ${registry.name}: ${registry.loginServer}, ${permissionsModeName(registry.permissionsMode)}, in subscription ${registry.subscriptionId}`
  )
  return registry
}

/** The cluster and the object ID its kubelet pulls as (through Graph for a service-principal cluster). */
async function discoverCluster(clusterRef: ResourceId, session: AzureSession, found: Partial<Discovery>): Promise<void> {
  const cluster = await findCluster(session.credential, session.cloud, clusterRef)
  found.cluster = cluster
  const kubelet = cluster.kubelet
  const objectId = (
    kubelet.kind === 'managed-identity'
      ? kubelet.objectId
      : await servicePrincipalObjectId(session.credential, session.cloud, kubelet.clientId)
  ).toLowerCase()
  found.kubeletObjectId = objectId
  const kind = kubelet.kind === 'managed-identity' ? 'managed identity' : `service principal ${kubelet.clientId}`
  core.info(`Cluster ${cluster.name} (${cluster.location}): kubelet ${kind}, object ID ${objectId}`)
}
