import { InputError } from '../errors.js'

/** Reads one input as the runner passes it (`INPUT_<NAME>`); injected so tests need no environment. */
export type InputReader = (name: string) => string

const TRUE = /^(true|yes|on|1)$/i
const FALSE = /^(false|no|off|0)$/i

export function readBoolean(getInput: InputReader, name: string, fallback: boolean): boolean {
  const raw = getInput(name).trim()
  if (raw === '') return fallback
  if (TRUE.test(raw)) return true
  if (FALSE.test(raw)) return false
  throw new InputError(name, `'${raw}' is not a boolean; use true or false`)
}

/** Entries separated by new lines or commas (and, where `spaces` says so, spaces), blanks dropped. */
export function readList(getInput: InputReader, name: string, separators: RegExp = /[\n,]+/): string[] {
  return getInput(name)
    .split(separators)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
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
