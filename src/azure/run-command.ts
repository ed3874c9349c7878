import type { TokenCredential } from '@azure/identity'
import { RestError, type PipelinePolicy, type PipelineRequest } from '@azure/core-rest-pipeline'
import { createContainerService } from '@azure/arm-containerservice/api'
import { runCommand } from '@azure/arm-containerservice/api/managedClusters'
import { strToU8, zipSync } from 'fflate'
import { ActionError, describeFailure } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import type { ResourceId } from '../settings/resource-id.js'
import { API_VERSIONS, modularClientOptions } from './arm-options.js'

/** A command pod takes seconds to start; its result is asked for this often. */
const POLL_INTERVAL_MS = 1000
/**
 * AKS holds the POST until the command pod has started, for up to 30 s, within ARM's 60 s for a
 * synchronous request (docs/azure.md, "Run command"): the usual 30 s request deadline would cut it.
 */
const POST_TIMEOUT_MS = 75_000

export interface ClusterCommand {
  /** A POSIX shell command line, run in the command pod's working directory. */
  command: string
  /** Files the command needs, by name: zipped into the request's `context`. */
  files: Record<string, string>
  /** Entra ID clusters: a token for the AKS server application, which the command's kubectl uses. */
  clusterToken: string | undefined
  /**
   * Whether running the command twice does no harm (reads; server-side apply). The SDK retries a
   * POST that failed with a 5xx or a broken connection, which may run the command again: only these
   * may be resent. The polls for the result are reads and are retried either way.
   */
  repeatable: boolean
}

/**
 * `az aks command invoke`: `POST …/managedClusters/{name}/runCommand`, a long-running operation
 * whose result carries the command's exit code and logs (docs/azure.md, "Run command"). The
 * command pod runs inside the cluster, so it reaches a private API server the runner cannot.
 */
export async function runClusterCommand(
  credential: TokenCredential,
  cloud: Cloud,
  cluster: Pick<ResourceId, 'id' | 'subscriptionId' | 'resourceGroup' | 'name'>,
  request: ClusterCommand,
  signal: AbortSignal
): Promise<{ exitCode: number; logs: string }> {
  const options = modularClientOptions(cloud, API_VERSIONS.containerService, {
    requestTimeoutMs: POST_TIMEOUT_MS,
    perRetryPolicies: request.repeatable ? [] : [postOnce()]
  })
  const context = createContainerService(credential, cluster.subscriptionId, options)
  const names = Object.keys(request.files)
  const zip =
    names.length === 0
      ? ''
      : Buffer.from(zipSync(Object.fromEntries(names.map((name) => [name, strToU8(request.files[name]!)])))).toString('base64')
  let result
  try {
    result = await runCommand(
      context,
      cluster.resourceGroup,
      cluster.name,
      { command: request.command, context: zip, ...(request.clusterToken ? { clusterToken: request.clusterToken } : {}) },
      { updateIntervalInMs: POLL_INTERVAL_MS, abortSignal: signal }
    )
  } catch (error) {
    throw explainRunCommandFailure(error, cluster, signal.aborted)
  }
  if (result.provisioningState?.toLowerCase() === 'failed' || result.exitCode === undefined) {
    throw new ActionError(`The command pod in AKS cluster '${cluster.name}' did not run`, {
      code: result.reason ?? result.provisioningState ?? 'NoExitCode',
      detail:
        'AKS could not start the pod that runs the command (run command needs room on a node, and pulls its image from mcr.microsoft.com)',
      hint: "Check the cluster's nodes and their egress to mcr.microsoft.com, or run the job on a self-hosted runner in the cluster's network"
    })
  }
  return { exitCode: result.exitCode, logs: result.logs ?? '' }
}

/**
 * Lets the SDK retry everything but a second POST of the same command: after a 5xx or a broken
 * connection AKS may already have started it. The first attempt's failure is kept as the answer.
 */
export function postOnce(): PipelinePolicy {
  const sent = new WeakMap<PipelineRequest, unknown>()
  return {
    name: 'aksAcrPostOnce',
    async sendRequest(request, next) {
      if (request.method !== 'POST') return next(request)
      if (sent.has(request)) {
        const first = describeFailure(sent.get(request))
        const answer = [first.status && `HTTP ${first.status}`, first.code, first.message].filter(Boolean).join(': ')
        throw new RestError(`the first attempt failed (${answer}) and the command was not sent again`, {
          code: 'CommandNotResent',
          statusCode: first.status
        })
      }
      try {
        const response = await next(request)
        sent.set(request, {
          statusCode: response.status,
          ...armError(response.bodyAsText),
          message: armError(response.bodyAsText).message ?? `HTTP ${response.status}`
        })
        return response
      } catch (error) {
        sent.set(request, error)
        throw error
      }
    }
  }
}

function armError(body: string | null | undefined): { code?: string; message?: string } {
  try {
    const parsed = JSON.parse(body ?? '') as { error?: { code?: unknown; message?: unknown } }
    return {
      code: typeof parsed.error?.code === 'string' ? parsed.error.code : undefined,
      message: typeof parsed.error?.message === 'string' ? parsed.error.message : undefined
    }
  } catch {
    return {}
  }
}

export function explainRunCommandFailure(error: unknown, cluster: Pick<ResourceId, 'id' | 'name'>, timedOut: boolean): ActionError {
  if (timedOut) {
    return new ActionError(`The run-command call to AKS cluster '${cluster.name}' did not finish before the deadline`, {
      code: 'Timeout',
      detail: 'the command pod did not start or finish in time',
      hint: "Raise 'timeout', or check that the cluster has room to start the command pod",
      cause: error
    })
  }
  const failure = describeFailure(error)
  if (failure.code === 'CommandNotResent' || failure.code === 'RequestTimeout') {
    return new ActionError(`The run-command call to AKS cluster '${cluster.name}' failed before AKS said whether it ran the command`, {
      code: failure.code,
      detail: `${failure.message}; the command may have run: this action does not send a command twice when running it again could change the cluster differently`,
      hint: 'Re-run the job: deploy re-applies the same objects, and the summary of the next run shows what the cluster holds',
      cause: error
    })
  }
  const what = `The run-command API of AKS cluster '${cluster.name}' refused the command`
  if (failure.status === 403) {
    return new ActionError(what, {
      code: failure.code,
      detail: failure.message,
      hint: `Grant the signed-in identity Microsoft.ContainerService/managedClusters/runcommand/action and Microsoft.ContainerService/managedClusters/commandResults/read on ${cluster.id} (Contributor, or a custom role with both)`,
      cause: error
    })
  }
  if (failure.code === 'KubernetesPerformanceError') {
    return new ActionError(`The command pod in AKS cluster '${cluster.name}' did not start in time`, {
      code: failure.code,
      detail: failure.message,
      hint: "AKS waits 30 s for it: give the cluster room for a pod (200m CPU, 500Mi), check its egress to mcr.microsoft.com, and re-run; or run the job on a self-hosted runner in the cluster's network",
      cause: error
    })
  }
  if (/run ?command/i.test(failure.message) && /disabled?/i.test(failure.message)) {
    return new ActionError(what, {
      code: failure.code,
      detail: failure.message,
      hint: "The cluster disables run command (apiServerAccessProfile.disableRunCommand): enable it (az aks update --enable-run-command), or run the job on a self-hosted runner in the cluster's network",
      cause: error
    })
  }
  return new ActionError(what, { code: failure.code, detail: failure.message, cause: error })
}
