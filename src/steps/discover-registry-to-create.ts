import * as core from '@actions/core'
import { findRegistry, permissionsModeName, type Registry } from '../azure/registries.js'
import { checkRegistryName, readSettledRegistry, type NameCheck } from '../azure/registry-create.js'
import { ActionError, errorMessage } from '../errors.js'
import type { Discovery } from '../plan/discovery.js'
import type { Cloud } from '../settings/clouds.js'
import type { RegistryCreation } from '../settings/registry-creation.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'

/**
 * `create-registry`: reads the registry at exactly the resource ID it would have. When it is
 * missing, ARM is asked whether the name is free (names are global across Azure, other tenants
 * included), and the registry the run would create stands in for it, so the modes can plan: a new
 * registry holds no tags and only the role assignments it inherits from its resource group.
 */
export async function discoverRegistryToCreate(
  creation: RegistryCreation,
  settings: Settings,
  session: AzureSession,
  found: Partial<Discovery>
): Promise<Registry> {
  const { resource } = creation
  const existing = await readSettledRegistry(session.credential, session.cloud, resource, Date.now() + settings.timeoutMs)
  if (existing) return keep(existing, found)

  const nameCheck = await checkRegistryName(session.credential, session.cloud, resource.subscriptionId, resource.name)
  if (nameCheck.available === false) {
    // Another run may have created it right here since the read above: then it is this run's registry.
    const raced = await readSettledRegistry(session.credential, session.cloud, resource, Date.now() + settings.timeoutMs)
    if (raced) return keep(raced, found)
    throw await nameTaken(creation, nameCheck, settings, session)
  }
  found.registryState = { exists: false, nameCheck }
  const planned = plannedRegistry(creation, session.cloud)
  found.registry = planned
  const check =
    nameCheck.available === true
      ? 'the name is available'
      : `whether the name is available could not be checked (${nameCheck.why}); the creation will tell`
  core.info(
    `Registry ${resource.name} does not exist in resource group ${resource.resourceGroup} (subscription ${resource.subscriptionId}); ${check}`
  )
  return planned
}

function keep(registry: Registry, found: Partial<Discovery>): Registry {
  found.registryState = { exists: true }
  found.registry = registry
  core.info(
    `Registry ${registry.name}: ${registry.loginServer}, ${permissionsModeName(registry.permissionsMode)}, in subscription ${registry.subscriptionId}; it exists, so create-registry leaves it as it is`
  )
  return registry
}

/**
 * What a new registry will be: ARM gives new registries the legacy permissions mode and a login
 * server of the lower-cased name (docs/azure.md). Replaced by ARM's own answer once created.
 */
function plannedRegistry(creation: RegistryCreation, cloud: Cloud): Registry {
  const { resource } = creation
  return {
    id: resource.id,
    name: resource.name,
    resourceGroup: resource.resourceGroup,
    subscriptionId: resource.subscriptionId,
    loginServer: `${resource.name.toLowerCase()}.${cloud.acrSuffix}`,
    permissionsMode: 'LegacyRegistryPermissions',
    publicNetworkAccess: 'Enabled',
    privateEndpoints: 0,
    networkDefaultAction: undefined,
    armTokensAccepted: true,
    planned: true
  }
}

/** Says where the name is taken when the signed-in identity can see it, and that it cannot otherwise. */
async function nameTaken(
  creation: RegistryCreation,
  check: Extract<NameCheck, { available: false }>,
  settings: Settings,
  session: AzureSession
): Promise<ActionError> {
  const { name, resourceGroup } = creation.resource
  if (check.reason && check.reason !== 'AlreadyExists') {
    return new ActionError(`Cannot create registry '${name}': Azure refuses the name`, {
      code: check.reason,
      detail: check.message,
      hint: "Choose another name in 'registry' (5-50 letters and digits, unique across Azure)"
    })
  }
  let lookupFailed: string | undefined
  const visible = await findRegistry(session.credential, session.cloud, { kind: 'name', name }, settings.subscriptionId).catch(
    (error: unknown) => {
      // "No container registry named …" is a clean not-found; anything else leaves where the name is taken unknown.
      if (!(error instanceof ActionError && /^No container registry/.test(error.message) && !/may be there/.test(error.message))) {
        lookupFailed = errorMessage(error)
      }
      return undefined
    }
  )
  if (lookupFailed) {
    return new ActionError(`Cannot create registry '${name}': the name is taken, and where could not be found out`, {
      code: check.reason,
      detail: `${check.message ?? 'name not available'}; looking for it failed: ${lookupFailed}`,
      hint: "To use a registry of that name, give its resource ID in 'registry'; to create a new one, choose another name"
    })
  }
  if (visible) {
    return new ActionError(`Cannot create registry '${name}' in resource group '${resourceGroup}': the name is taken by ${visible.id}`, {
      code: check.reason,
      detail: check.message,
      hint: `To use that registry, give its resource ID in 'registry'; to create a new one, choose another name`
    })
  }
  return new ActionError(
    `Cannot create registry '${name}': the name is taken elsewhere in Azure, by a registry this identity cannot see (registry names are global across every tenant)`,
    {
      code: check.reason,
      detail: check.message,
      hint: "Choose another name in 'registry'"
    }
  )
}
