import { escape } from './markdown.js'
import type { OutputPart } from './outputs.js'
import type { RunRecord } from './run-record.js'

/** check: can-pull and the reasons behind it (empty when check did not get to a verdict). */
export const checkOutputs: OutputPart = {
  outputs(record) {
    const verdict = record.results.check?.verdict
    return verdict ? { 'can-pull': String(verdict.canPull), reasons: JSON.stringify(verdict.reasons) } : {}
  },
  changed: () => false
}

/** Pure: "Can the cluster pull?" and one row per finding. */
export function checkSection(record: RunRecord): string[] {
  const verdict = record.results.check?.verdict
  if (!verdict) return []
  const mark = (ok: boolean | 'unknown') => (ok === true ? '✅' : ok === false ? '❌' : '❔')
  return [
    `### Can the cluster pull? ${verdict.canPull === true ? '✅ yes' : verdict.canPull === false ? '❌ no' : '❔ unknown'}`,
    '',
    '| Check | | Finding |',
    '|---|---|---|',
    ...verdict.reasons.map((reason) => `| ${reason.check} | ${mark(reason.ok)} | ${escape(reason.detail)} |`),
    ''
  ]
}
