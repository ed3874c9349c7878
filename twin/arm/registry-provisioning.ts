import type { Registry, TwinState } from '../state.ts'

/**
 * Registries being created: a PUT answers at once with `Creating`, and the registry reads
 * `Succeeded` only once its operation is done (`state.registryCreateMs` after the PUT).
 */
const creating = new WeakMap<TwinState, Map<string, number>>()

const of = (state: TwinState) => {
  let m = creating.get(state)
  if (!m) creating.set(state, (m = new Map()))
  return m
}

export function startProvisioning(state: TwinState, r: Registry, durationMs: number): number {
  const done = Date.now() + durationMs
  of(state).set(r.id.toLowerCase(), done)
  return done
}

export function provisioningStateOf(state: TwinState, r: Registry): 'Creating' | 'Succeeded' {
  const done = of(state).get(r.id.toLowerCase())
  return done !== undefined && Date.now() < done ? 'Creating' : 'Succeeded'
}
