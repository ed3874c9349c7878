import type { PipelinePolicy } from '@azure/core-rest-pipeline'

/** How long one ARM, Graph or Entra request may take before the SDK gives up on it (and retries). */
export const AZURE_REQUEST_TIMEOUT_MS = 30_000

/**
 * The Azure SDK sends requests without a timeout by default, so an unanswered one would hold the
 * run until the job's own limit. This gives every attempt a deadline; the SDK's retry policy then
 * treats the timeout like any other transient failure.
 */
export const requestDeadline: PipelinePolicy = {
  name: 'aksAcrRequestDeadline',
  sendRequest(request, next) {
    if (!request.timeout) request.timeout = AZURE_REQUEST_TIMEOUT_MS
    return next(request)
  }
}

/** For the SDK clients' `additionalPolicies` option. */
export const DEADLINE_POLICIES = [{ policy: requestDeadline, position: 'perRetry' as const }]
