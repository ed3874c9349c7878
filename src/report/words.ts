import type { PermissionsMode } from '../azure/registries.js'

/** `1 image`, `3 images`: counts read as sentences in the log and the summary. */
export function count(n: number, noun: string, plural = `${noun}s`): string {
  return `${n} ${n === 1 ? noun : plural}`
}

/** The permissions modes as the portal names them, everywhere a person reads them. */
export function permissionsModeName(mode: PermissionsMode): string {
  return mode === 'AbacRepositoryPermissions' ? 'RBAC registry + ABAC repository permissions' : 'RBAC registry permissions'
}

/** A duration as people write it: 5m, 90s, 1h30m. */
export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000)
  const h = Math.floor(seconds / 3600)
  const m = Math.floor((seconds % 3600) / 60)
  const s = seconds % 60
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`
}
