import { escape } from './markdown.js'
import type { OutputPart } from './outputs.js'
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
  const decisions = record.plans.import ?? []
  if (!loginServer) return []
  return decisions.flatMap((decision) => {
    const result = record.results.import?.find((r) => r.decision === decision)
    const digest = result?.digest ?? decision.source.digest ?? null
    const written = new Set(decision.write)
    return decision.source.spec.targets.map((target) => {
      const imported = result?.outcome === 'imported' && written.has(target)
      const reference = target.tag
        ? `${loginServer}/${target.repository}:${target.tag}`
        : `${loginServer}/${target.repository}${digest ? `@${digest}` : ''}`
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
  for (const result of record.results.import ?? []) {
    if (!result.digest || (result.outcome !== 'imported' && result.outcome !== 'up-to-date')) continue
    for (const target of result.decision.source.spec.targets)
      if (target.tag) digests.set(`${target.repository}:${target.tag}`, result.digest)
  }
  return digests
}

/** import: every target with its digest, as later steps deploy by it. */
export const importOutputs: OutputPart = {
  outputs: (record) => ({
    images: JSON.stringify(importedImages(record).map(({ source, target, digest, changed }) => ({ source, target, digest, changed })))
  }),
  changed: (record) => importedImages(record).some((image) => image.changed)
}

const IMPORT_RESULT: Record<ImportedImage['result'], string> = {
  imported: '✅ imported',
  planned: '🔍 would import (dry run)',
  'up-to-date': '➖ unchanged, same digest',
  refused: '❌ refused',
  failed: '❌ failed',
  'not-run': '⏸️ not run'
}

/** Pure: one row per target, then every failure on its own line. */
export function importSection(record: RunRecord): string[] {
  const images = importedImages(record)
  if (images.length === 0) return []
  const rows = images.map(
    (image) =>
      `| \`${image.source}\` | \`${image.target}\` | ${image.digest ? `\`${image.digest.slice(0, 19)}…\`` : ''} | ${IMPORT_RESULT[image.result]} |`
  )
  const failures = (record.results.import ?? []).filter((result) => result.error).map((result) => `- ${escape(result.error!)}`)
  return [
    '### Images',
    '',
    '| Source | Target | Digest | Result |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...(failures.length ? [...failures, ''] : [])
  ]
}
