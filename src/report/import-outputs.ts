import type { RunRecord } from './run-record.js'

/** One entry of the `images` output: a full reference later steps can deploy by digest. */
export interface ImportedImage {
  source: string
  target: string
  digest: string | null
  changed: boolean
  result: 'imported' | 'up-to-date' | 'refused' | 'failed' | 'planned' | 'not-run'
}

/** Pure: every target of every import line, in input order, whether or not the run got to it. */
export function importedImages(record: RunRecord): ImportedImage[] {
  const loginServer = record.discovery.registry?.loginServer
  const decisions = record.imports.decisions ?? []
  if (!loginServer) return []
  return decisions.flatMap((decision) => {
    const result = record.imports.results?.find((r) => r.decision === decision)
    const digest = result?.digest ?? decision.source.digest ?? null
    const written = new Set(decision.write)
    return decision.source.spec.targets.map((target) => {
      const imported = result?.outcome === 'imported' && written.has(target)
      const reference = target.tag ? `${loginServer}/${target.repository}:${target.tag}` : `${loginServer}/${target.repository}${digest ? `@${digest}` : ''}`
      const outcome: ImportedImage['result'] = !result
        ? 'not-run'
        : result.outcome === 'imported' && !written.has(target)
          ? 'up-to-date'
          : result.outcome
      return { source: decision.source.display, target: reference, digest, changed: imported, result: outcome }
    })
  })
}

/** `repo:tag` → digest for every target this run imported or found up to date, for pinning deploys. */
export function importedDigests(record: RunRecord): Map<string, string> {
  const digests = new Map<string, string>()
  for (const result of record.imports.results ?? []) {
    if (!result.digest || (result.outcome !== 'imported' && result.outcome !== 'up-to-date')) continue
    for (const target of result.decision.source.spec.targets) if (target.tag) digests.set(`${target.repository}:${target.tag}`, result.digest)
  }
  return digests
}
