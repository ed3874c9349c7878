import { InputError } from './input-error.js'
import type { InputReader } from './settings.js'

export interface DeploySettings {
  /** Files, directories or globs, relative to the workspace. */
  manifests: string[]
  /** Namespace for namespaced objects that name none; created when missing. */
  namespace: string | undefined
  forceConflicts: boolean
  admin: boolean
  kubeconfigOutput: boolean
  rollbackOnFailure: boolean
}

export function readBoolean(getInput: InputReader, name: string, fallback: boolean): boolean {
  const raw = getInput(name).trim()
  if (raw === '') return fallback
  if (/^(true|yes|on|1)$/i.test(raw)) return true
  if (/^(false|no|off|0)$/i.test(raw)) return false
  throw new InputError(name, `'${raw}' is not a boolean; use true or false`)
}

/** The shortest and longest `timeout`: every wait of a run must end, and Node's timers hold 24 days at most. */
export const TIMEOUT_RANGE_MS = { min: 1000, max: 24 * 3_600_000 } as const

/**
 * `5m`, `90s`, `1h30m` (units h, m, s, ms, combined largest first), or a bare number, which is
 * seconds as `kubectl --timeout` reads it. From 1s to 24h.
 */
export function parseDuration(input: string, raw: string): number {
  const text = raw.trim()
  const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const
  let total: number
  if (/^\d+$/.test(text)) {
    total = Number(text) * 1000
  } else {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)]
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
      throw new InputError(input, `'${raw}' is not a duration; write it like 5m, 90s or 1h30m`)
    }
    total = parts.reduce((sum, [, value, suffix]) => sum + Number(value) * unit[suffix as keyof typeof unit], 0)
  }
  if (!(total >= TIMEOUT_RANGE_MS.min)) throw new InputError(input, `'${raw}' is shorter than 1s; give at least 1s`)
  if (total > TIMEOUT_RANGE_MS.max) throw new InputError(input, `'${raw}' is longer than 24h; give at most 24h`)
  return Math.round(total)
}

export function readDeploySettings(getInput: InputReader, deploying: boolean): DeploySettings {
  const manifests = getInput('manifests')
    .split(/[\n,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  if (deploying && manifests.length === 0) {
    throw new InputError('manifests', "is required for mode 'deploy': files, directories or globs in the repository, one per line")
  }
  if (!deploying && manifests.length > 0) {
    throw new InputError('manifests', "is set but 'mode' does not include deploy; add deploy to 'mode' or remove 'manifests'")
  }
  const namespace = getInput('namespace').trim() || undefined
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new InputError('namespace', `'${namespace}' is not a valid namespace name (lowercase letters, digits and '-', at most 63)`)
  }
  return {
    manifests,
    namespace,
    forceConflicts: readBoolean(getInput, 'force-conflicts', false),
    admin: readBoolean(getInput, 'admin', false),
    kubeconfigOutput: readBoolean(getInput, 'kubeconfig-output', false),
    rollbackOnFailure: readBoolean(getInput, 'rollback-on-failure', false)
  }
}
