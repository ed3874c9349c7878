import * as core from '@actions/core'
import type { TokenCredential } from '@azure/identity'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { checkNameAvailability, create, get } from '@azure/arm-containerregistry/api/registries'
import { ActionError, describeFailure } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import type { RegistrySku } from '../settings/registry-creation.js'
import type { ResourceId } from '../settings/resource-id.js'
import { pause } from '../net/pause.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import { toRegistry, type Registry } from './registries.js'

/** What `create-registry` asks ARM for: a PUT of the registry, a long-running operation. */
export interface RegistryCreateRequest {
  subscriptionId: string
  resourceGroup: string
  name: string
  location: string
  sku: RegistrySku
}

/** ARM's answer to "may this name be used?"; `unknown` when the identity may not ask. */
export type NameCheck =
  | { available: true }
  | { available: false; reason: string | undefined; message: string | undefined }
  | { available: 'unknown'; why: string }

/** Polls the creation every second: it takes seconds (docs/azure.md), the SDK would wait longer between polls. */
const POLL_INTERVAL_MS = 1000

const client = (credential: TokenCredential, cloud: Cloud, subscriptionId: string) =>
  createContainerRegistryManagement(credential, subscriptionId, modularClientOptions(cloud, API_VERSIONS.containerRegistry))

/**
 * The registry at exactly this resource ID, or undefined when ARM says it does not exist. A missing
 * resource group is an error: the action creates registries, never resource groups.
 */
export async function readRegistryIfExists(credential: TokenCredential, cloud: Cloud, resource: ResourceId): Promise<Registry | undefined> {
  try {
    return toRegistry(await get(client(credential, cloud, resource.subscriptionId), resource.resourceGroup, resource.name))
  } catch (error) {
    const failure = describeFailure(error)
    if (failure.status === 404 && failure.code === 'ResourceNotFound') return undefined
    if (failure.status === 404 && failure.code === 'ResourceGroupNotFound') {
      throw new ActionError(
        `Cannot create registry '${resource.name}': resource group '${resource.resourceGroup}' does not exist in subscription ${resource.subscriptionId}`,
        {
          code: failure.code,
          detail: failure.message,
          hint: `Create the resource group first (az group create --name ${resource.resourceGroup} --location <region>), or give an existing one in 'resource-group' or the registry's resource ID`,
          cause: error
        }
      )
    }
    throw new ActionError(`Could not read container registry '${resource.name}' (${resource.id})`, {
      code: failure.code,
      detail: failure.message,
      hint: failure.status === 403 ? `Grant the signed-in identity Reader on ${resource.id} or its resource group` : undefined,
      cause: error
    })
  }
}

/**
 * The registry at this resource ID once ARM has settled it: one still being created (by an earlier
 * run that timed out, or a concurrent one) is waited for within `deadline`; one whose creation
 * failed is an error, never a registry to attach or import into.
 */
export async function readSettledRegistry(
  credential: TokenCredential,
  cloud: Cloud,
  resource: ResourceId,
  deadline: number
): Promise<Registry | undefined> {
  for (;;) {
    const registry = await readRegistryIfExists(credential, cloud, resource)
    const state = registry?.provisioningState?.toLowerCase()
    if (!registry || state === undefined || state === 'succeeded') return registry
    if (state === 'failed' || state === 'canceled') {
      throw new ActionError(
        `Container registry '${resource.name}' exists, but its creation ${state === 'failed' ? 'failed' : 'was canceled'}`,
        {
          code: `provisioningState ${registry.provisioningState}`,
          hint: `Delete it (az acr delete --name ${resource.name} --yes) and re-run, or choose another name in 'registry'`
        }
      )
    }
    if (Date.now() + SETTLE_POLL_MS > deadline) {
      throw new ActionError(`Container registry '${resource.name}' was still ${state} when the timeout passed`, {
        code: `provisioningState ${registry.provisioningState}`,
        hint: "Re-run the job when it has finished, or raise 'timeout'"
      })
    }
    core.info(`Registry ${resource.name} is ${state} (provisioningState ${registry.provisioningState}); waiting for it`)
    await pause(SETTLE_POLL_MS)
  }
}

const SETTLE_POLL_MS = 2000

/** Registry names are global across Azure, every tenant included: only ARM can say whether one is free. */
export async function checkRegistryName(
  credential: TokenCredential,
  cloud: Cloud,
  subscriptionId: string,
  name: string
): Promise<NameCheck> {
  try {
    const status = await checkNameAvailability(client(credential, cloud, subscriptionId), {
      name,
      type: 'Microsoft.ContainerRegistry/registries'
    })
    return status.nameAvailable ? { available: true } : { available: false, reason: status.reason, message: status.message }
  } catch (error) {
    const failure = describeFailure(error)
    // The creation itself will answer for the name; the check only makes its refusal earlier and clearer.
    if (failure.status === 403) return { available: 'unknown', why: `${failure.code ?? 'HTTP 403'}: ${failure.message}` }
    throw new ActionError(`Could not check whether the registry name '${name}' is available`, {
      code: failure.code,
      detail: failure.message,
      cause: error
    })
  }
}

/**
 * PUT of the registry, waited on until ARM says it succeeded (or `signal` ends the wait); returns
 * the registry as ARM then reads it.
 */
export async function createRegistry(
  credential: TokenCredential,
  cloud: Cloud,
  request: RegistryCreateRequest,
  signal: AbortSignal
): Promise<Registry> {
  try {
    const created = await create(
      client(credential, cloud, request.subscriptionId),
      request.resourceGroup,
      request.name,
      { location: request.location, sku: { name: request.sku }, adminUserEnabled: false },
      { updateIntervalInMs: POLL_INTERVAL_MS, abortSignal: signal }
    ).pollUntilDone()
    return toRegistry(created)
  } catch (error) {
    if (signal.aborted) {
      // The operation goes on in Azure; only the wait for it ended.
      throw new ActionError(`Container registry '${request.name}' was still being created when the timeout passed`, {
        code: 'Timeout',
        hint: "It may still finish in Azure: re-run the job (an existing registry is left as it is), or raise 'timeout'",
        cause: error
      })
    }
    const failure = describeFailure(error)
    const scope = `/subscriptions/${request.subscriptionId}/resourceGroups/${request.resourceGroup}`
    throw new ActionError(
      `Could not create container registry '${request.name}' in resource group '${request.resourceGroup}' (${request.location})`,
      {
        code: failure.code,
        detail: failure.message,
        hint: createHint(failure.status, failure.code, scope),
        cause: error
      }
    )
  }
}

function createHint(status: number | undefined, code: string | undefined, scope: string): string | undefined {
  if (status === 403) return `Grant the signed-in identity Contributor on ${scope} (it needs Microsoft.ContainerRegistry/registries/write)`
  if (code === 'AlreadyInUse') return "Registry names are global across Azure: choose another name in 'registry'"
  if (code === 'LocationNotAvailableForResourceType' || code === 'NoRegisteredProviderFound')
    return "Choose another region in 'registry-location'"
  if (code === 'MissingSubscriptionRegistration')
    return 'Register the resource provider first: az provider register --namespace Microsoft.ContainerRegistry'
  return undefined
}
