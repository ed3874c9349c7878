import type { ImportMode, ImportTarget } from '../settings/imports.js'
import type { ImportDiscovery, SourceState } from './import-discovery.js'

export interface ImportDecision {
  source: SourceState
  /** Targets this run writes. */
  write: ImportTarget[]
  /** Targets that already point at the source's digest (skip-existing). */
  upToDate: ImportTarget[]
  /** Why nothing is written for this source, when the run must refuse it. */
  refusal: string | undefined
  force: boolean
}

export function targetKey(target: ImportTarget): string {
  return `${target.repository}:${target.tag}`
}

/**
 * Pure: decides per source what to import. skip-existing leaves a tag that already has the
 * source's digest and refuses one that points elsewhere; fail-existing refuses any existing tag;
 * force writes everything. Untagged targets are always written (they create no tag).
 */
export function planImports(discovery: ImportDiscovery, mode: ImportMode): ImportDecision[] {
  return discovery.sources.map((source) => {
    const targets = source.spec.targets
    const decision: ImportDecision = { source, write: [], upToDate: [], refusal: undefined, force: mode === 'force' }
    if (source.problem) return { ...decision, refusal: source.problem }
    // Unread targets (force, or a registry that hides them) are all written; NoForce still refuses existing tags.
    if (mode === 'force' || !discovery.targetsRead) return { ...decision, write: targets }

    const conflicts: string[] = []
    for (const target of targets) {
      const existing = target.tag === undefined ? undefined : discovery.targetDigests.get(targetKey(target))
      if (existing === undefined) decision.write.push(target)
      else if (mode === 'skip-existing' && source.digest !== undefined && existing === source.digest) decision.upToDate.push(target)
      else conflicts.push(`${targetKey(target)} already exists (${existing})`)
    }
    if (conflicts.length > 0) {
      const why =
        mode === 'fail-existing'
          ? 'import-mode is fail-existing'
          : source.digest
            ? `the source is ${source.digest}`
            : 'the source digest could not be read to compare'
      return {
        ...decision,
        write: [],
        upToDate: [],
        refusal: `${conflicts.join('; ')} and ${why}; set 'import-mode: force' to overwrite`
      }
    }
    return decision
  })
}
