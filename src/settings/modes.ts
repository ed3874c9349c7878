import { InputError } from './input-error.js'

/** Every mode, in the order a run carries them out whatever order the workflow lists them in. */
export const MODE_ORDER = ['check', 'attach', 'detach', 'import', 'deploy'] as const
export type Mode = (typeof MODE_ORDER)[number]

/** Modes this version carries out; anything else is refused rather than half-run. */
export const SUPPORTED_MODES: ReadonlySet<Mode> = new Set<Mode>(MODE_ORDER)

export function parseModes(raw: string): Mode[] {
  const words = raw
    .split(/[\s,]+/)
    .map((word) => word.trim().toLowerCase())
    .filter((word) => word.length > 0)
  if (words.length === 0) throw new InputError('mode', `is empty; use one or more of ${MODE_ORDER.join(', ')}`)

  const modes = new Set<Mode>()
  for (const word of words) {
    if (!(MODE_ORDER as readonly string[]).includes(word)) {
      throw new InputError('mode', `'${word}' is not a mode; use one or more of ${MODE_ORDER.join(', ')}`)
    }
    modes.add(word as Mode)
  }
  if (modes.has('attach') && modes.has('detach')) {
    throw new InputError('mode', "'attach' and 'detach' undo each other; run one of them")
  }
  for (const mode of modes) {
    if (!SUPPORTED_MODES.has(mode)) {
      throw new InputError('mode', `'${mode}' is not supported yet by this version of the action; supported: ${[...SUPPORTED_MODES].join(', ')}`)
    }
  }
  return MODE_ORDER.filter((mode) => modes.has(mode))
}
