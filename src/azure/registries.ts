import type { TokenCredential } from '@azure/identity'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { get as getRegistry, list as listRegistries } from '@azure/arm-containerregistry/api/registries'
import type { RegistryRef } from '../settings/registry-ref.js'
import { parseResourceId } from '../settings/resource-id.js'
import * as core from '@actions/core'
import { createSubscription } from '@azure/arm-resources-subscriptions/api'
import { list as listSubscriptions } from '@azure/arm-resources-subscriptions/api/subscriptions'
import { ActionError, describeFailure } from '../errors.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import type { Cloud } from '../settings/clouds.js'

export type PermissionsMode = 'LegacyRegistryPermissions' | 'AbacRepositoryPermissions'

/** The permissions modes as the portal names them, everywhere a person reads them. */
export function permissionsModeName(mode: PermissionsMode): string {
  return mode === 'AbacRepositoryPermissions' ? 'RBAC registry + ABAC repository permissions' : 'RBAC registry permissions'
}

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
  /** ARM's provisioningState when read (`Succeeded`, `Creating`, `Failed`, …). */
  provisioningState?: string
  /** Not in Azure yet: the registry `create-registry` would create (a dry run plans against it). */
  planned?: boolean
}

export type ArmRegistry = Awaited<ReturnType<typeof getRegistry>>

/**
 * A resource ID is read directly in its own subscription (it may differ from the cluster's); a name
 * or login server is searched for in `subscriptionId`, as `az aks update --attach-acr` does, and,
 * when it is not there, in every other subscription the signed-in identity can read.
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

  const label = ref.kind === 'name' ? `named '${ref.name}'` : `with login server '${ref.loginServer}'`
  const first = await searchSubscription(credential, cloud, ref, subscriptionId)
  let matches = first.matches
  let elsewhere: string[] = []
  // Searches that could not be made: a registry there is neither found nor ruled out.
  const unsearched: string[] = []
  if (matches.length === 0) {
    // Promotion pipelines name a registry of another subscription by its login server: look in every
    // subscription the identity can read, but only when the usual one holds no match.
    const visible = await visibleSubscriptions(credential, cloud)
    if ('unlisted' in visible) unsearched.push(`the other subscriptions (${visible.unlisted})`)
    elsewhere = ('ids' in visible ? visible.ids : []).filter((id) => id.toLowerCase() !== subscriptionId.toLowerCase())
    const searched = await Promise.all(
      elsewhere.map((id) =>
        searchSubscription(credential, cloud, ref, id).catch((error: unknown) => {
          const failure = describeFailure((error as { cause?: unknown }).cause ?? error)
          unsearched.push(`subscription ${id} (${failure.code ?? failure.status ?? failure.message})`)
          return { matches: [], searched: 0 }
        })
      )
    )
    matches = searched.flatMap((result) => result.matches)
    if (matches.length === 1)
      core.info(
        `Registry ${label} is not in subscription ${subscriptionId}; found it in subscription ${parseResourceId('registry', matches[0]!.id!, 'Microsoft.ContainerRegistry/registries').subscriptionId}`
      )
  }
  if (matches.length === 0) {
    const readable = elsewhere.length - unsearched.filter((u) => u.startsWith('subscription ')).length
    const others = readable > 0 ? ` or in the ${readable} other subscription(s) the signed-in identity can read` : ''
    throw new ActionError(`No container registry ${label} in subscription ${subscriptionId}${others} (searched ${first.searched} there)`, {
      ...(unsearched.length ? { detail: `could not search ${unsearched.join(', ')}, so it may be there` } : {}),
      hint: "Check 'registry' and 'subscription-id', give the registry's full resource ID, or grant the signed-in identity Reader on the registry's subscription"
    })
  }
  if (matches.length > 1) {
    throw new ActionError(`${matches.length} container registries ${label}: ${matches.map((m) => m.id).join(', ')}`, {
      hint: "Give the one you mean by its full resource ID in 'registry'"
    })
  }
  return toRegistry(matches[0]!)
}

async function searchSubscription(
  credential: TokenCredential,
  cloud: Cloud,
  ref: Exclude<RegistryRef, { kind: 'id' }>,
  subscriptionId: string
): Promise<{ matches: ArmRegistry[]; searched: number }> {
  const wanted = ref.kind === 'name' ? ref.name.toLowerCase() : ref.loginServer
  const context = createContainerRegistryManagement(credential, subscriptionId, modularClientOptions(cloud, API_VERSIONS.containerRegistry))
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
  return { matches, searched }
}

/** Every subscription the signed-in identity can see, or why they could not be listed. */
async function visibleSubscriptions(credential: TokenCredential, cloud: Cloud): Promise<{ ids: string[] } | { unlisted: string }> {
  const context = createSubscription(credential, modularClientOptions(cloud, API_VERSIONS.subscriptions))
  const ids: string[] = []
  try {
    for await (const subscription of listSubscriptions(context)) if (subscription.subscriptionId) ids.push(subscription.subscriptionId)
  } catch (error) {
    const failure = describeFailure(error)
    core.info(`Could not list the subscriptions the signed-in identity can read: ${failure.message}`)
    return { unlisted: `not listed: ${failure.code ?? failure.status ?? failure.message}` }
  }
  return { ids }
}

function readHint(status: number | undefined, scope: string): string | undefined {
  return status === 403 ? `Grant the signed-in identity Reader on ${scope}` : undefined
}

export function toRegistry(registry: ArmRegistry): Registry {
  const resource = parseResourceId('registry', registry.id!, 'Microsoft.ContainerRegistry/registries')
  return {
    id: resource.id,
    name: registry.name ?? resource.name,
    resourceGroup: resource.resourceGroup,
    subscriptionId: resource.subscriptionId,
    loginServer: (registry.loginServer ?? '').toLowerCase(),
    // Registries read with an api-version that predates the setting are legacy by definition.
    permissionsMode:
      registry.roleAssignmentMode === 'AbacRepositoryPermissions' ? 'AbacRepositoryPermissions' : 'LegacyRegistryPermissions',
    publicNetworkAccess: registry.publicNetworkAccess,
    privateEndpoints: registry.privateEndpointConnections?.length ?? 0,
    networkDefaultAction: registry.networkRuleSet?.defaultAction,
    armTokensAccepted: registry.policies?.azureADAuthenticationAsArmPolicy?.status !== 'disabled',
    provisioningState: registry.provisioningState
  }
}
