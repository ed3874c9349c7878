import { InputError } from '../errors.js'
import { readBoolean, type InputReader } from './inputs.js'
import type { RegistryRef } from './registry-ref.js'
import { isResourceGroupName, type ResourceId } from './resource-id.js'

export const REGISTRY_SKUS = ['Basic', 'Standard', 'Premium'] as const
export type RegistrySku = (typeof REGISTRY_SKUS)[number]

/** action.yml's default for `registry-sku`: the runner passes it as if the workflow had written it. */
const DEFAULT_SKU: RegistrySku = 'Basic'

/** `create-registry: true`: the registry to create when it is missing, and how. */
export interface RegistryCreation {
  /** Where the registry is, or will be. */
  resource: ResourceId
  sku: RegistrySku
  /** An Azure region (`westeurope`); undefined: the cluster's. */
  location: string | undefined
}

/**
 * `create-registry`, `registry-sku` and `registry-location`. A registry can be created only where it
 * is fully named: by resource ID, or by name with `resource-group` (in `subscription-id`); a login
 * server names no resource group. The SKU and location are refused without `create-registry`, so a
 * workflow that sets them never silently gets an existing registry of another kind.
 */
export function readRegistryCreation(
  getInput: InputReader,
  registry: RegistryRef,
  resourceGroup: string,
  subscriptionId: string,
  readsCluster: boolean
): RegistryCreation | undefined {
  const create = readBoolean(getInput, 'create-registry', false)
  const skuInput = getInput('registry-sku').trim()
  const locationInput = getInput('registry-location').trim()
  if (!create) {
    if (skuInput && skuInput.toLowerCase() !== DEFAULT_SKU.toLowerCase()) {
      throw new InputError('registry-sku', "is set but 'create-registry' is not true; set 'create-registry: true' or remove 'registry-sku'")
    }
    if (locationInput)
      throw new InputError(
        'registry-location',
        "is set but 'create-registry' is not true; set 'create-registry: true' or remove 'registry-location'"
      )
    return undefined
  }

  const sku = REGISTRY_SKUS.find((candidate) => candidate.toLowerCase() === (skuInput || DEFAULT_SKU).toLowerCase())
  if (!sku) throw new InputError('registry-sku', `'${skuInput}' is not a registry SKU; use ${REGISTRY_SKUS.join(', ')}`)
  // ARM takes a region's name (`westeurope`); people also write its display name (`West Europe`).
  const location = locationInput ? locationInput.replace(/\s+/g, '').toLowerCase() : undefined
  if (location !== undefined && !/^[a-z][a-z0-9]{1,40}$/.test(location)) {
    throw new InputError('registry-location', `'${locationInput}' is not an Azure region name (like westeurope or eastus2)`)
  }
  if (location === undefined && !readsCluster) {
    throw new InputError(
      'registry-location',
      "is required with 'create-registry' when no mode reads a cluster (import alone): give the region to create the registry in"
    )
  }
  return { resource: registryResource(registry, resourceGroup.trim(), subscriptionId), sku, location }
}

function registryResource(registry: RegistryRef, resourceGroup: string, subscriptionId: string): ResourceId {
  if (registry.kind === 'id') return registry.resource
  if (registry.kind === 'login-server') {
    throw new InputError(
      'create-registry',
      `needs the registry's name (with 'resource-group') or its resource ID in 'registry', not the login server '${registry.loginServer}'`
    )
  }
  if (!resourceGroup) {
    throw new InputError(
      'resource-group',
      `is required to create registry '${registry.name}' by name: give the resource group to create it in, or the registry's resource ID in 'registry'`
    )
  }
  if (!isResourceGroupName(resourceGroup)) throw new InputError('resource-group', `'${resourceGroup}' is not a valid resource group name`)
  if (!subscriptionId) throw new InputError('subscription-id', `is required to create registry '${registry.name}' by name`)
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerRegistry/registries/${registry.name}`,
    subscriptionId,
    resourceGroup,
    provider: 'Microsoft.ContainerRegistry',
    type: 'Microsoft.ContainerRegistry/registries',
    name: registry.name
  }
}
