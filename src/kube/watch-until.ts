/**
 * The skeleton rollout verification and the pull probe share: start watchers, let the first of
 * them (or the deadline) decide the outcome, then stop them all and wait until they have stopped,
 * so no request outlives the decision and no failure of a watcher goes unobserved.
 */
export async function watchUntil<T>(
  deadline: number,
  atDeadline: () => T,
  start: (decide: (outcome: T) => void, signal: AbortSignal) => Array<Promise<unknown>>
): Promise<T> {
  const abort = new AbortController()
  let resolve!: (outcome: T) => void
  const decided = new Promise<T>((done) => (resolve = done))
  let open = true
  const decide = (outcome: T) => {
    if (!open) return
    open = false
    resolve(outcome)
  }
  const timer = setTimeout(() => decide(atDeadline()), Math.max(0, deadline - Date.now()))
  const watchers = start(decide, abort.signal)
  try {
    return await decided
  } finally {
    clearTimeout(timer)
    abort.abort()
    await Promise.allSettled(watchers)
  }
}
