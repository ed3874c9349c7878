import { InputError } from '../errors.js'

/**
 * Every mode, in the order a run carries them out whatever order the workflow lists them in:
 * changes to the grant first, then images, then the check (so it answers for what the run leaves
 * behind, and its pull probe can pull what was just imported), then the deploy that needs them all.
 */
export const MODE_ORDER = ['attach', 'detach', 'import', 'check', 'deploy'] as const
export type Mode = (typeof MODE_ORDER)[number]

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
  return MODE_ORDER.filter((mode) => modes.has(mode))
}
