import type { NameCheck, RegistryCreateRequest } from '../azure/registry-create.js'
import { ActionError } from '../errors.js'
import type { RegistryCreation } from '../settings/registry-creation.js'
import type { Discovery } from './discovery.js'

/** `create-registry`: keep the registry that exists, or create the missing one. */
export type RegistryPlan =
  { action: 'keep'; id: string; name: string } | { action: 'create'; request: RegistryCreateRequest; nameCheck: NameCheck }

/**
 * Pure: from what discovery found where the registry should be. A registry that exists is never
 * updated, whatever SKU or location the inputs ask for; a missing one goes in the cluster's region
 * unless `registry-location` names another.
 */
export function planRegistry(
  creation: RegistryCreation,
  discovery: Pick<Partial<Discovery>, 'registry' | 'registryState' | 'cluster'>
): RegistryPlan {
  const state = discovery.registryState
  if (!state || state.exists) {
    return { action: 'keep', id: discovery.registry?.id ?? creation.resource.id, name: discovery.registry?.name ?? creation.resource.name }
  }
  const location = creation.location ?? discovery.cluster?.location
  if (!location) {
    throw new ActionError(`Cannot create registry '${creation.resource.name}': no region to create it in`, {
      hint: "Set 'registry-location'"
    })
  }
  const { subscriptionId, resourceGroup, name } = creation.resource
  return { action: 'create', request: { subscriptionId, resourceGroup, name, location, sku: creation.sku }, nameCheck: state.nameCheck }
}

/** The plan in one sentence, for the log and the summary. */
export function describeRegistryPlan(plan: RegistryPlan): string {
  if (plan.action === 'keep') return `container registry ${plan.name} exists; create-registry leaves it as it is`
  const { name, sku, location, resourceGroup } = plan.request
  return `create container registry ${name} (${sku}) in ${location}, resource group ${resourceGroup}`
}
