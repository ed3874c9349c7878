import type { PipelinePolicy } from '@azure/core-rest-pipeline'

/** How long one ARM, Graph or Entra request may take before the action gives up on it. */
export const AZURE_REQUEST_TIMEOUT_MS = 30_000

/**
 * The Azure SDK sends requests without a deadline by default, so an unanswered one would hold the
 * run until the job's own limit. Its own `request.timeout` is not used: the SDK's Node client
 * leaves that timer running when a request fails for another reason (a reset connection), which
 * kept finished runs alive for the whole timeout. An `AbortSignal.timeout` never holds the process.
 * A request that times out is not retried: a server silent that long is not expected to answer now.
 */
export function requestDeadline(timeoutMs: number): PipelinePolicy {
  return {
    name: 'aksAcrRequestDeadline',
    async sendRequest(request, next) {
      const deadline = AbortSignal.timeout(timeoutMs)
      const callers = request.abortSignal
      // The SDK's signals are real AbortSignals in Node; its type only promises the smaller AbortSignalLike.
      request.abortSignal = callers ? AbortSignal.any([callers as AbortSignal, deadline]) : deadline
      try {
        return await next(request)
      } catch (error) {
        if (!deadline.aborted || callers?.aborted) throw error
        const host = new URL(request.url).host
        throw Object.assign(new Error(`${host} did not answer within ${timeoutMs / 1000} s`, { cause: error }), { code: 'RequestTimeout' })
      } finally {
        request.abortSignal = callers
      }
    }
  }
}

/** For the SDK clients' `additionalPolicies` option: one deadline per attempt. */
export function deadlinePolicies(timeoutMs = AZURE_REQUEST_TIMEOUT_MS) {
  return [{ policy: requestDeadline(timeoutMs), position: 'perRetry' as const }]
}

export const DEADLINE_POLICIES = deadlinePolicies()
