/**
 * Waits `ms`, or less when `signal` aborts: a wait between attempts must never outlive the run's deadline.
 * Resolves (never rejects) on abort so the caller's own deadline check names what ran out.
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve()
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
