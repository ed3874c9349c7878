import type { TokenCredential } from '@azure/identity'
import { createContainerRegistryManagement } from '@azure/arm-containerregistry/api'
import { importImage as importImageOperation } from '@azure/arm-containerregistry/api/registries'
import type { Registry } from './registries.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'
import type { Cloud } from '../settings/clouds.js'
import { describeFailure, type ServiceFailure } from '../errors.js'

export interface ImportRequest {
  source: { registryUri: string; resourceId?: undefined } | { resourceId: string; registryUri?: undefined }
  /** `repo[@digest]` or `repo:tag` as ACR wants it, without the registry. */
  sourceImage: string
  credentials: { username: string; password: string } | undefined
  targetTags: string[]
  untaggedTargetRepositories: string[]
  force: boolean
}

/** Polls more often than the SDK's default: imports of small images finish within seconds. */
const POLL_INTERVAL_MS = 1000

/**
 * `az acr import`: one long-running importImage operation on the target registry, waited on until
 * it succeeds or fails. Failures come back with ACR's own code and words, never thrown past here.
 */
export async function importImage(
  credential: TokenCredential,
  cloud: Cloud,
  target: Registry,
  request: ImportRequest,
  signal: AbortSignal
): Promise<ServiceFailure | undefined> {
  const context = createContainerRegistryManagement(
    credential,
    target.subscriptionId,
    modularClientOptions(cloud, API_VERSIONS.containerRegistry)
  )
  try {
    await importImageOperation(
      context,
      target.resourceGroup,
      target.name,
      {
        source: {
          ...request.source,
          sourceImage: request.sourceImage,
          ...(request.credentials ? { credentials: request.credentials } : {})
        },
        targetTags: request.targetTags,
        untaggedTargetRepositories: request.untaggedTargetRepositories,
        mode: request.force ? 'Force' : 'NoForce'
      },
      { updateIntervalInMs: POLL_INTERVAL_MS, abortSignal: signal }
    )
    return undefined
  } catch (error) {
    // The operation goes on in the registry; only the wait for it ended.
    if (signal.aborted)
      return {
        status: undefined,
        code: 'Timeout',
        message: 'the import was still running when the timeout passed; it may still finish in the registry (re-run to see)'
      }
    return describeFailure(error)
  }
}
