import { glob, readFile, realpath, stat, readdir } from 'node:fs/promises'
import { extname, isAbsolute, join, relative, resolve } from 'node:path'
import { loadAll } from 'js-yaml'
import { InputError } from '../errors.js'
import type { KubeObject, Manifest } from './kube-object.js'

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json'])
/** What the API server takes in one object: etcd's 1.5 MiB less room for managed fields and status. */
export const MAX_OBJECT_BYTES = 1024 * 1024
/** Aliases per document; manifests use a handful at most. */
const MAX_ALIASES = 1000

/**
 * Reads every manifest the `manifests` input names (files, directories, globs), refusing anything
 * outside the workspace, and splits multi-document YAML. Empty documents, comments and a trailing
 * `---` are fine; objects are kept exactly as parsed.
 */
export async function loadManifests(patterns: string[], workspace: string): Promise<Manifest[]> {
  const root = await realpath(workspace)
  const files: string[] = []
  for (const pattern of patterns) {
    const matched = await expand(pattern, root)
    if (matched.length === 0) throw new InputError('manifests', `'${pattern}' matches no file in the workspace`)
    for (const file of matched) if (!files.includes(file)) files.push(file)
  }
  const manifests: Manifest[] = []
  for (const file of files) manifests.push(...(await parseFile(file, root)))
  if (manifests.length === 0) throw new InputError('manifests', 'the files hold no Kubernetes objects')
  return manifests
}

async function expand(pattern: string, root: string): Promise<string[]> {
  const absolute = isAbsolute(pattern) ? pattern : resolve(root, pattern)
  if (/[*?[{]/.test(pattern)) {
    const found: string[] = []
    for await (const entry of glob(pattern, { cwd: root })) found.push(resolve(root, entry))
    const inside = await Promise.all(found.sort().map((file) => insideWorkspace(file, root, pattern)))
    return (await Promise.all(inside.map(async (file) => ((await stat(file)).isFile() ? file : undefined)))).filter(
      (f): f is string => f !== undefined
    )
  }
  const real = await insideWorkspace(absolute, root, pattern)
  let info
  try {
    info = await stat(real)
  } catch {
    throw new InputError('manifests', `'${pattern}' does not exist in the workspace`)
  }
  if (info.isFile()) return [real]
  return (await readdir(real, { recursive: true }))
    .map((entry) => join(real, entry))
    .filter((file) => MANIFEST_EXTENSIONS.has(extname(file).toLowerCase()))
    .sort()
}

/** Resolves links before checking, so a symlink cannot lead a deploy out of the checkout. */
async function insideWorkspace(path: string, root: string, pattern: string): Promise<string> {
  let real = path
  try {
    real = await realpath(path)
  } catch {
    real = resolve(path)
  }
  const rel = relative(root, real)
  if (rel.startsWith('..') || isAbsolute(rel)) {
    throw new InputError('manifests', `'${pattern}' is outside the workspace (${root}); manifests must come from the repository`)
  }
  return real
}

async function parseFile(file: string, root: string): Promise<Manifest[]> {
  const name = relative(root, file)
  let documents: unknown[]
  try {
    documents = loadAll(await readFile(file, 'utf8'), { maxAliases: MAX_ALIASES })
  } catch (error) {
    throw new InputError('manifests', `${name} is not valid YAML: ${(error as Error).message.split('\n')[0]}`)
  }
  const manifests: Manifest[] = []
  documents.forEach((document, index) => {
    if (document === null || document === undefined) return
    const origin = `${name}#${index + 1}`
    const items = isList(document) ? (document.items as unknown[]) : [document]
    for (const item of items) manifests.push({ origin, object: checkObject(item, origin) })
  })
  return manifests
}

function isList(document: unknown): document is { kind: string; items: unknown[] } {
  const candidate = document as { kind?: unknown; items?: unknown }
  return typeof candidate.kind === 'string' && candidate.kind.endsWith('List') && Array.isArray(candidate.items)
}

function checkObject(document: unknown, origin: string): KubeObject {
  const object = document as Partial<KubeObject>
  if (typeof object !== 'object' || Array.isArray(object)) throw new InputError('manifests', `${origin} is not a Kubernetes object`)
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string') {
    throw new InputError('manifests', `${origin} has no apiVersion or kind`)
  }
  if (typeof object.metadata?.name !== 'string' || object.metadata.name.length === 0) {
    throw new InputError('manifests', `${origin} (${object.kind}) has no metadata.name`)
  }
  // Aliases are shared, not copied, by the parser: what is sent is the expansion, so measure that.
  if (jsonSizeWithin(object, MAX_OBJECT_BYTES) > MAX_OBJECT_BYTES) {
    throw new InputError(
      'manifests',
      `${origin} (${object.kind} ${object.metadata.name}) is larger than 1 MiB once expanded and serialized; the API server refuses objects that large (etcd keeps at most 1.5 MiB, ConfigMaps and Secrets hold at most 1 MiB of data)`
    )
  }
  return object as KubeObject
}

/**
 * The length of `JSON.stringify(value)`, counted without building it and given up as soon as it
 * passes `limit`, so a YAML alias bomb (a few lines that expand to gigabytes) costs at most `limit`.
 */
export function jsonSizeWithin(value: unknown, limit: number): number {
  let size = 0
  const pending: unknown[] = [value]
  while (pending.length > 0) {
    if (size > limit) return size
    const next = pending.pop()
    if (next === null || next === undefined || typeof next === 'boolean' || typeof next === 'number') {
      size += String(next ?? null).length
    } else if (typeof next === 'string') {
      size += next.length + 2
    } else if (Array.isArray(next)) {
      size += 2 + Math.max(0, next.length - 1)
      for (const item of next) pending.push(item)
    } else if (typeof next === 'object') {
      const entries = Object.entries(next)
      size += 2 + Math.max(0, entries.length - 1)
      for (const [key, item] of entries) {
        size += key.length + 3
        pending.push(item)
      }
    }
  }
  return size
}
