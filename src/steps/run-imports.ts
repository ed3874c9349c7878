import * as core from '@actions/core'
import { importImage, type ImportRequest } from '../azure/import-image.js'
import type { Registry } from '../azure/registries.js'
import type { ImportDecision } from '../plan/import-plan.js'
import { RegistrySession } from '../registry/registry-session.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { mapLimit } from '../net/map-limit.js'
import { ActionError } from '../errors.js'
import { count } from '../words.js'

/** ARM takes this many imports in flight per run; more would only queue behind its write throttling. */
const IMPORT_CONCURRENCY = 20

export type ImportOutcome = 'imported' | 'up-to-date' | 'refused' | 'failed' | 'planned'

export interface ImportResult {
  decision: ImportDecision
  outcome: ImportOutcome
  /** The digest the written (or already present) targets point at. */
  digest: string | undefined
  error: string | undefined
  durationMs: number
}

export async function runImports(
  decisions: ImportDecision[],
  settings: Settings,
  session: AzureSession,
  target: Registry
): Promise<ImportResult[]> {
  let targetSession: RegistrySession | undefined
  const readBack = async (decision: ImportDecision): Promise<string | undefined> => {
    const tagged = decision.write.find((t) => t.tag !== undefined)
    if (!tagged) return undefined
    targetSession ??= new RegistrySession(target.loginServer, session.acrLogin)
    try {
      await targetSession.prepare([tagged.repository])
      const lookup = await targetSession.manifestDigest(tagged.repository, tagged.tag!)
      return lookup.found ? lookup.digest : undefined
    } catch {
      return undefined
    }
  }

  // One deadline for all imports of the run; each LRO stops waiting when it passes.
  const deadline = AbortSignal.timeout(settings.timeoutMs)
  return mapLimit(decisions, IMPORT_CONCURRENCY, async (decision) => {
    const started = Date.now()
    const { source } = decision
    const result = (outcome: ImportOutcome, digest: string | undefined, error?: string): ImportResult => ({
      decision,
      outcome,
      digest,
      error,
      durationMs: Date.now() - started
    })
    if (decision.refusal) {
      core.error(`Not importing ${source.display}: ${decision.refusal}`)
      return result('refused', source.digest, decision.refusal)
    }
    if (decision.write.length === 0) {
      core.info(`Unchanged: ${describeTargets(decision.upToDate, target)} already ${source.digest}`)
      return result('up-to-date', source.digest)
    }
    const description = `import ${source.display} → ${describeTargets(decision.write, target)}${decision.force ? ' (force)' : ''}`
    const imported = await session.mutations.azure(description, async () => {
      core.info(`Importing ${source.display} → ${describeTargets(decision.write, target)}${decision.force ? ' (force)' : ''}`)
      return { failure: await importImage(session.credential, session.cloud, target, toRequest(decision, settings), deadline) }
    })
    if (!imported) return result('planned', source.digest)
    const failure = imported.failure
    // The SDK resends a POST that met a 5xx or a broken connection; when the first was carried out,
    // the second finds the tag written (NoForce). The same digest there means the import happened.
    if (
      failure &&
      /already exists in target registry/i.test(failure.message) &&
      source.digest &&
      (await readBack(decision)) === source.digest
    ) {
      core.info(
        `Imported ${source.display} (${source.digest}): ACR answered that the tag already exists, and it holds that digest (an earlier attempt of this request, or another run, wrote it)`
      )
      return result('imported', source.digest)
    }
    if (failure) {
      const error = `line ${source.spec.line}: importing ${source.display} failed: ${failure.code ? `${failure.code}: ` : ''}${failure.message}`
      core.error(error)
      return result('failed', source.digest, error)
    }
    const digest = source.digest ?? (await readBack(decision))
    core.info(`Imported ${source.display} (${digest ?? 'digest unknown'}) in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    return result('imported', digest)
  })
}

function describeTargets(targets: ImportDecision['write'], target: Registry): string {
  return targets.map((t) => `${target.loginServer}/${t.repository}${t.tag ? `:${t.tag}` : ' (untagged)'}`).join(', ')
}

function toRequest(decision: ImportDecision, settings: Settings): ImportRequest {
  const { source } = decision
  const { repository, tag, digest } = source.spec.source
  return {
    source: source.acr ? { resourceId: source.acr.id } : { registryUri: source.spec.source.registry },
    sourceImage: digest ? `${repository}@${digest}` : `${repository}:${tag}`,
    // Credentials are for registries outside Azure; an ACR source is read with the action's own identity.
    credentials: source.acr ? undefined : settings.imports.credentials,
    targetTags: decision.write.filter((t) => t.tag !== undefined).map((t) => `${t.repository}:${t.tag}`),
    untaggedTargetRepositories: decision.write.filter((t) => t.tag === undefined).map((t) => t.repository),
    force: decision.force
  }
}

/** Imports fail the run together, once every one of them had its chance. */
export function throwIfImportsFailed(results: ImportResult[]): void {
  const failed = results.filter((result) => result.error)
  if (failed.length === 0) return
  throw new ActionError(`${failed.length} of ${count(results.length, 'import')} failed`, {
    detail: failed.map((result) => result.error).join('\n')
  })
}
