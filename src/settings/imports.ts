import { InputError } from '../errors.js'
import { namesRegistryHost, parseImageReference, type ImageReference } from './image-reference.js'
import { looksLikeResourceId, parseResourceId, type ResourceId } from './resource-id.js'

export const IMPORT_MODES = ['skip-existing', 'force', 'fail-existing'] as const
export type ImportMode = (typeof IMPORT_MODES)[number]

/** Where an imported image lands in the target registry; no tag means an untagged import (digest sources). */
export interface ImportTarget {
  repository: string
  tag: string | undefined
}

export interface ImportSpec {
  /** 1-based line of the `images` input, for messages. */
  line: number
  text: string
  source: ImageReference
  /** Set when the source was written as a registry resource ID (any subscription). */
  sourceRegistryId: ResourceId | undefined
  targets: ImportTarget[]
}

/**
 * One import per line: `SOURCE` or `SOURCE => TARGET[, TARGET...]`. A source may name its registry
 * by resource ID (`/subscriptions/.../registries/devacr/app:1.4.2`), so promotion works across
 * subscriptions without a search. Blank lines and `#` comments are skipped.
 */
export function parseImports(raw: string): ImportSpec[] {
  const specs: ImportSpec[] = []
  const targetsSeen = new Map<string, number>()
  raw.split(/\r?\n/).forEach((text, index) => {
    const line = index + 1
    const content = text.replace(/\s+#.*$/, '').trim()
    if (content.length === 0 || content.startsWith('#')) return
    const fail = (problem: string) => new InputError('images', `line ${line} ('${content}'): ${problem}`)

    const [sourceText, targetText, extra] = content.split('=>')
    if (extra !== undefined) throw fail("use one '=>' between the source and its targets")
    const { reference: source, registryId } = parseSource(sourceText!.trim(), fail)

    let targets: ImportTarget[]
    if (targetText === undefined) {
      targets = [{ repository: source.repository, tag: source.tag }]
    } else {
      const written = targetText.split(',').map((t) => t.trim())
      if (written.some((t) => t.length === 0)) throw fail("a target is empty; write 'SOURCE => repo:tag[, repo:tag]'")
      targets = written.map((t) => parseTarget(t, fail))
    }
    for (const target of targets) {
      if (target.tag === undefined && source.digest === undefined) throw fail(`target '${target.repository}' needs a tag`)
      if (target.tag === undefined) continue
      const key = `${target.repository}:${target.tag}`
      const earlier = targetsSeen.get(key)
      if (earlier !== undefined) throw fail(`target ${key} is already written by line ${earlier}; a tag can have one source`)
      targetsSeen.set(key, line)
    }
    specs.push({ line, text: content, source, sourceRegistryId: registryId, targets })
  })
  return specs
}

function parseSource(
  text: string,
  fail: (problem: string) => InputError
): { reference: ImageReference; registryId: ResourceId | undefined } {
  if (looksLikeResourceId(text)) {
    const segments = text.split('/')
    const id = segments.slice(0, 9).join('/')
    const image = segments.slice(9).join('/')
    let registryId: ResourceId
    try {
      registryId = parseResourceId('images', id, 'Microsoft.ContainerRegistry/registries')
    } catch (error) {
      throw fail((error as Error).message.replace(/^Input 'images': /, ''))
    }
    if (!image) throw fail('after the registry resource ID, name the image: .../registries/<name>/repo:tag')
    const reference = parseImageReference(`placeholder.invalid/${image}`)
    if (typeof reference === 'string') throw fail(reference)
    return { reference: { ...reference, registry: '', tag: defaultTag(reference) }, registryId }
  }
  const reference = parseImageReference(text)
  if (typeof reference === 'string') throw fail(reference)
  return { reference: { ...reference, tag: defaultTag(reference) }, registryId: undefined }
}

/** As Docker does: no tag and no digest means `latest`. */
function defaultTag(reference: ImageReference): string | undefined {
  return reference.tag ?? (reference.digest ? undefined : 'latest')
}

function parseTarget(text: string, fail: (problem: string) => InputError): ImportTarget {
  const reference = parseImageReference(`placeholder.invalid/${text}`)
  if (typeof reference === 'string') throw fail(reference)
  if (reference.digest) throw fail(`target '${text}' cannot have a digest; the registry computes it`)
  // Docker reads a first component with a dot or a port as a host, so a target written that way names a registry.
  if (namesRegistryHost(text)) {
    throw fail(`target '${text}' names a registry; targets are repositories in 'registry', written repo:tag`)
  }
  return { repository: reference.repository, tag: reference.tag }
}

export function parseImportMode(raw: string): ImportMode {
  const value = raw.trim().toLowerCase() || 'skip-existing'
  if (!(IMPORT_MODES as readonly string[]).includes(value)) {
    throw new InputError('import-mode', `'${raw.trim()}' is not an import mode; use one of ${IMPORT_MODES.join(', ')}`)
  }
  return value as ImportMode
}
