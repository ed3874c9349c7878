import { pause } from './pause.js'
import { NetworkError } from './network-error.js'

/**
 * The one retry policy of the action's own HTTP clients (Kubernetes, registries, the runner's OIDC
 * endpoint), modelled on client-go's and the Azure SDK's: 429 waits for `Retry-After` (capped);
 * 500, 502, 503, 504 and broken connections back off exponentially with jitter; a bounded number
 * of attempts; and only for requests that may be sent twice with the same effect (GET, watch,
 * server-side apply, DELETE by name). The last answer or error is handed back as it came, so the
 * caller's message keeps the status and the server's words. See docs/network.md.
 */
export const RETRY = {
  attempts: 4,
  firstBackoffMs: 500,
  maxBackoffMs: 8_000,
  /** A `Retry-After` longer than this is not waited out: the caller hears the 429 instead. */
  maxRetryAfterMs: 30_000
} as const

const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504])

export interface RetryOptions {
  /** Only requests that may be repeated safely are retried; others get one attempt. */
  idempotent: boolean
  /** No wait runs past this moment (epoch ms). */
  deadline?: number
  attempts?: number
  /** Ends a wait between attempts early; the last answer or error is then handed back. */
  signal?: AbortSignal
  /** Said once per retry, for the log. */
  onRetry?: (why: string, waitMs: number, attempt: number) => void
  sleep?: (ms: number) => Promise<void>
}

export async function withRetry<R extends { status: number; header(name: string): string | undefined }>(
  send: () => Promise<R>,
  options: RetryOptions
): Promise<R> {
  const attempts = options.idempotent ? (options.attempts ?? RETRY.attempts) : 1
  const sleep = options.sleep ?? ((ms: number) => pause(ms, options.signal))
  for (let attempt = 1; ; attempt++) {
    let outcome: { response: R } | { error: unknown }
    try {
      outcome = { response: await send() }
    } catch (error) {
      outcome = { error }
    }
    const wait = attempt < attempts ? waitBefore(outcome, attempt) : undefined
    const fits =
      wait !== undefined && !options.signal?.aborted && (options.deadline === undefined || Date.now() + wait.ms < options.deadline)
    if (!fits) {
      if ('error' in outcome) throw outcome.error
      return outcome.response
    }
    options.onRetry?.(wait.why, wait.ms, attempt)
    await sleep(wait.ms)
    if (options.signal?.aborted) {
      if ('error' in outcome) throw outcome.error
      return outcome.response
    }
  }
}

function waitBefore(
  outcome: { response: { status: number; header(name: string): string | undefined } } | { error: unknown },
  attempt: number
): { ms: number; why: string } | undefined {
  if ('error' in outcome) {
    const error = outcome.error
    return error instanceof NetworkError && error.transient ? { ms: backoff(attempt), why: error.message } : undefined
  }
  const { status } = outcome.response
  if (!RETRIED_STATUSES.has(status)) return undefined
  if (status === 429) {
    const after = retryAfterMs(outcome.response.header('retry-after'))
    if (after !== undefined) return after <= RETRY.maxRetryAfterMs ? { ms: after, why: `HTTP 429 with Retry-After` } : undefined
  }
  return { ms: backoff(attempt), why: `HTTP ${status}` }
}

/** Exponential with "equal jitter": half fixed, half random, so concurrent clients spread out. */
function backoff(attempt: number): number {
  const ceiling = Math.min(RETRY.maxBackoffMs, RETRY.firstBackoffMs * 2 ** (attempt - 1))
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2))
}

/** `Retry-After` is seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (!value) return undefined
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000)
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now())
}
