/**
 * ARM scopes are paths compared without regard to case; clients send them with
 * or without a leading slash (the SDK's `{scope}` template even doubles it).
 */
export function normalizeScope(scope: string): string {
  const s = ('/' + scope).replace(/\/{2,}/g, '/').replace(/\/+$/, '')
  return s === '' ? '/' : s
}

export const scopeKey = (scope: string) => normalizeScope(scope).toLowerCase()

/** True when an assignment at `outer` is inherited by `inner` (same scope or an ancestor of it). */
export function covers(outer: string, inner: string): boolean {
  const o = scopeKey(outer)
  const i = scopeKey(inner)
  return o === '/' || o === i || i.startsWith(o + '/')
}

/** The subscription a scope sits in, if any. */
export function subscriptionOf(scope: string): string | undefined {
  return /^\/subscriptions\/([^/]+)/i.exec(normalizeScope(scope))?.[1]
}

export function resourceGroupOf(scope: string): string | undefined {
  return /^\/subscriptions\/[^/]+\/resourceGroups\/([^/]+)/i.exec(normalizeScope(scope))?.[1]
}
