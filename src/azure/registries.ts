import type { TokenCredential } from '@azure/identity'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { get as getRegistry, list as listRegistries } from '@azure/arm-containerregistry/api/registries'
import type { RegistryRef } from '../settings/registry-ref.js'
import { parseResourceId } from '../settings/resource-id.js'
import { ActionError, describeFailure } from './action-error.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import type { Cloud } from './clouds.js'

export type PermissionsMode = 'LegacyRegistryPermissions' | 'AbacRepositoryPermissions'

export interface Registry {
  id: string
  name: string
  resourceGroup: string
  subscriptionId: string
  loginServer: string
  permissionsMode: PermissionsMode
  publicNetworkAccess: string | undefined
  privateEndpoints: number
  /** `Deny` when a firewall limits which networks may reach the registry (Premium). */
  networkDefaultAction: string | undefined
  /** Whether the registry accepts Entra tokens issued for ARM, which is what a kubelet presents. */
  armTokensAccepted: boolean
}

type ArmRegistry = Awaited<ReturnType<typeof getRegistry>>

/**
 * A resource ID is read directly in its own subscription (it may differ from the cluster's); a name
 * or login server is searched for in `subscriptionId`, as `az aks update --attach-acr` does.
 */
export async function findRegistry(credential: TokenCredential, cloud: Cloud, ref: RegistryRef, subscriptionId: string): Promise<Registry> {
  const options = modularClientOptions(cloud, API_VERSIONS.containerRegistry)
  if (ref.kind === 'id') {
    const { resource } = ref
    const context = createContainerRegistryManagement(credential, resource.subscriptionId, options)
    try {
      return toRegistry(await getRegistry(context, resource.resourceGroup, resource.name))
    } catch (error) {
      const failure = describeFailure(error)
      throw new ActionError(`Could not read container registry '${resource.name}' (${resource.id})`, {
        code: failure.code,
        detail: failure.message,
        hint: failure.status === 404 ? "Check 'registry': no registry has that resource ID" : readHint(failure.status, resource.id),
        cause: error
      })
    }
  }

  const wanted = ref.kind === 'name' ? ref.name.toLowerCase() : ref.loginServer
  const context = createContainerRegistryManagement(credential, subscriptionId, options)
  const matches: ArmRegistry[] = []
  let searched = 0
  try {
    for await (const registry of listRegistries(context)) {
      searched++
      const key = ref.kind === 'name' ? registry.name?.toLowerCase() : registry.loginServer?.toLowerCase()
      if (key === wanted) matches.push(registry)
    }
  } catch (error) {
    const failure = describeFailure(error)
    throw new ActionError(`Could not list container registries in subscription ${subscriptionId} to find '${wanted}'`, {
      code: failure.code,
      detail: failure.message,
      hint: readHint(failure.status, `/subscriptions/${subscriptionId}`) ?? "Or give the registry's full resource ID in 'registry'",
      cause: error
    })
  }
  const label = ref.kind === 'name' ? `named '${ref.name}'` : `with login server '${ref.loginServer}'`
  if (matches.length === 0) {
    throw new ActionError(`No container registry ${label} in subscription ${subscriptionId} (searched ${searched})`, {
      hint: "Check 'registry' and 'subscription-id'; a registry in another subscription must be given by its full resource ID"
    })
  }
  if (matches.length > 1) {
    throw new ActionError(`${matches.length} container registries ${label} in subscription ${subscriptionId}: ${matches.map((m) => m.id).join(', ')}`, {
      hint: "Give the one you mean by its full resource ID in 'registry'"
    })
  }
  return toRegistry(matches[0]!)
}

function readHint(status: number | undefined, scope: string): string | undefined {
  return status === 403 ? `Grant the signed-in identity Reader on ${scope}` : undefined
}

function toRegistry(registry: ArmRegistry): Registry {
  const resource = parseResourceId('registry', registry.id!, 'Microsoft.ContainerRegistry/registries')
  return {
    id: resource.id,
    name: registry.name ?? resource.name,
    resourceGroup: resource.resourceGroup,
    subscriptionId: resource.subscriptionId,
    loginServer: (registry.loginServer ?? '').toLowerCase(),
    // Registries read with an api-version that predates the setting are legacy by definition.
    permissionsMode: registry.roleAssignmentMode === 'AbacRepositoryPermissions' ? 'AbacRepositoryPermissions' : 'LegacyRegistryPermissions',
    publicNetworkAccess: registry.publicNetworkAccess,
    privateEndpoints: registry.privateEndpointConnections?.length ?? 0,
    networkDefaultAction: registry.networkRuleSet?.defaultAction,
    armTokensAccepted: registry.policies?.azureADAuthenticationAsArmPolicy?.status !== 'disabled'
  }
}
