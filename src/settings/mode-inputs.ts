import { InputError } from '../errors.js'
import type { InputReader } from './inputs.js'
import type { Mode } from './modes.js'

/**
 * Inputs that mean something only to some modes. Set (to anything but their default) while none of
 * those modes runs, they are refused rather than silently ignored. `default` is action.yml's: the
 * runner passes it as if the workflow had written it.
 */
export const MODE_INPUTS: ReadonlyArray<{ input: string; modes: readonly Mode[]; default?: string; boolean?: true }> = [
  { input: 'repositories', modes: ['attach'] },
  { input: 'images', modes: ['import'] },
  { input: 'import-mode', modes: ['import'], default: 'skip-existing' },
  { input: 'source-username', modes: ['import'] },
  { input: 'source-password', modes: ['import'] },
  { input: 'manifests', modes: ['deploy'] },
  { input: 'namespace', modes: ['deploy', 'check'] },
  { input: 'force-conflicts', modes: ['deploy'], default: 'false', boolean: true },
  { input: 'admin', modes: ['deploy', 'check'], default: 'false', boolean: true },
  { input: 'kubeconfig-output', modes: ['deploy'], default: 'false', boolean: true },
  { input: 'rollback-on-failure', modes: ['deploy'], default: 'false', boolean: true },
  { input: 'registry-logins', modes: ['deploy'] },
  { input: 'pull-secrets', modes: ['deploy'] },
  { input: 'annotate', modes: ['deploy'], default: 'true', boolean: true },
  { input: 'check-pull', modes: ['check'], default: 'false', boolean: true },
  { input: 'check-image', modes: ['check'] },
  { input: 'fail-on-check', modes: ['check'], default: 'false', boolean: true },
  { input: 'timeout', modes: ['import', 'check', 'deploy'], default: '5m' },
  { input: 'cluster-access', modes: ['deploy', 'check'], default: 'auto' }
]

export function refuseInputsOfAbsentModes(getInput: InputReader, modes: readonly Mode[]): void {
  for (const entry of MODE_INPUTS) {
    if (entry.modes.some((mode) => modes.includes(mode))) continue
    const raw = getInput(entry.input).trim()
    // A boolean counts as set when it reads other than its default (`annotate: false` without deploy).
    const set = entry.boolean
      ? raw !== '' && /^(true|yes|on|1)$/i.test(raw) !== (entry.default === 'true')
      : raw !== '' && raw.toLowerCase() !== (entry.default ?? '').toLowerCase()
    if (set) {
      const wanted = entry.modes.join(' or ')
      throw new InputError(entry.input, `is set but 'mode' does not include ${wanted}; add ${wanted} to 'mode' or remove '${entry.input}'`)
    }
  }
}
