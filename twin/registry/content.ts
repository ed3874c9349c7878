import { createHash } from 'node:crypto'

/**
 * What a registry holds: repositories with tags pointing at manifests, and
 * manifests by digest. One shape for ACRs and upstream registries alike, so an
 * image copied from Docker Hub keeps its bytes and therefore its digest.
 */
export interface Manifest {
  digest: string
  mediaType: string
  /** The exact bytes served; the digest is computed over them. */
  bytes: Buffer
  /** Single-platform manifests only (ACR reports it as architecture/os). */
  platform?: { architecture: string; os: string }
  /** Child manifests of an index, in order. */
  references: string[]
  /** Config + layers, what ACR reports as imageSize. */
  imageSize: number
  createdOn: string
}

export interface TagEntry {
  digest: string
  createdOn: string
  lastUpdatedOn: string
}

export interface Repository {
  name: string
  tags: Map<string, TagEntry>
  /** Digests stored in this repository (an index and its children). */
  manifests: Set<string>
  createdOn: string
  lastUpdatedOn: string
}

export interface RegistryContent {
  repositories: Map<string, Repository>
  manifests: Map<string, Manifest>
}

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'

export const sha256 = (data: string | Buffer) => 'sha256:' + createHash('sha256').update(data).digest('hex')

export const emptyContent = (): RegistryContent => ({ repositories: new Map(), manifests: new Map() })

export interface ImageShape {
  /** 'index' (multi-platform, what official images are) or 'manifest' (one platform). */
  kind?: 'index' | 'manifest'
  /** OCI (default) or Docker media types. */
  format?: 'oci' | 'docker'
  platforms?: Array<{ architecture: string; os: string }>
}

const DEFAULT_PLATFORMS = [
  { architecture: 'amd64', os: 'linux' },
  { architecture: 'arm64', os: 'linux' }
]

/** A number in [lo, hi) derived from a seed: sizes that look real and never change between runs. */
function sized(seed: string, lo: number, hi: number): number {
  return lo + (parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 8), 16) % (hi - lo))
}

function platformManifest(seed: string, p: { architecture: string; os: string }, docker: boolean, now: string): Manifest {
  const s = `${seed}|${p.os}/${p.architecture}`
  const config = {
    mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json',
    digest: sha256(s + '|config'),
    size: sized(s + 'c', 1200, 9000)
  }
  const layers = [0, 1, 2].map((i) => ({
    mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip',
    digest: sha256(`${s}|layer${i}`),
    size: sized(`${s}l${i}`, 400, 30_000_000)
  }))
  const mediaType = docker ? DOCKER_MANIFEST : OCI_MANIFEST
  // Field order as registries serve them; the bytes are what gets hashed.
  const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType, config, layers }, null, 3))
  return {
    digest: sha256(bytes),
    mediaType,
    bytes,
    platform: { ...p },
    references: [],
    imageSize: config.size + layers.reduce((n, l) => n + l.size, 0),
    createdOn: now
  }
}

/**
 * Builds an image from a seed (typically `host/repo:tag`): same seed, same
 * bytes, same digest, on every run. Returns the top manifest first, then any
 * children of an index.
 */
export function buildImage(seed: string, shape: ImageShape = {}, now = new Date().toISOString()): Manifest[] {
  const docker = shape.format === 'docker'
  const platforms = shape.platforms ?? (shape.kind === 'manifest' ? [DEFAULT_PLATFORMS[0]] : DEFAULT_PLATFORMS)
  if (shape.kind === 'manifest') return [platformManifest(seed, platforms[0], docker, now)]
  const children = platforms.map((p) => platformManifest(seed, p, docker, now))
  const mediaType = docker ? DOCKER_LIST : OCI_INDEX
  const index = {
    schemaVersion: 2,
    mediaType,
    manifests: children.map((c) => ({ mediaType: c.mediaType, digest: c.digest, size: c.bytes.length, platform: c.platform }))
  }
  const bytes = Buffer.from(JSON.stringify(index, null, 3))
  const top: Manifest = {
    digest: sha256(bytes),
    mediaType,
    bytes,
    references: children.map((c) => c.digest),
    imageSize: children.reduce((n, c) => n + c.imageSize, 0),
    createdOn: now
  }
  return [top, ...children]
}

/** A manifest from bytes someone already has (a test's own JSON): its digest is what the bytes hash to. */
export function manifestFromBytes(bytes: Buffer, mediaType?: string, now = new Date().toISOString()): Manifest {
  const parsed = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; manifests?: Array<{ digest: string }> }
  return {
    digest: sha256(bytes),
    mediaType: mediaType ?? parsed.mediaType ?? OCI_MANIFEST,
    bytes,
    references: (parsed.manifests ?? []).map((m) => m.digest),
    imageSize: bytes.length,
    createdOn: now
  }
}

export function repository(content: RegistryContent, name: string, create = false): Repository | undefined {
  let repo = content.repositories.get(name)
  if (!repo && create) {
    const now = new Date().toISOString()
    repo = { name, tags: new Map(), manifests: new Set(), createdOn: now, lastUpdatedOn: now }
    content.repositories.set(name, repo)
  }
  return repo
}

/** Stores manifests (top first) in a repository and points `tag` at the top one, if given. */
export function putImage(content: RegistryContent, repoName: string, tag: string | undefined, manifests: Manifest[]): Manifest {
  const repo = repository(content, repoName, true)!
  const now = new Date().toISOString()
  for (const m of manifests) {
    if (!content.manifests.has(m.digest)) content.manifests.set(m.digest, m)
    repo.manifests.add(m.digest)
  }
  const top = manifests[0]
  if (tag !== undefined) {
    const prev = repo.tags.get(tag)
    repo.tags.set(tag, { digest: top.digest, createdOn: prev?.createdOn ?? now, lastUpdatedOn: now })
  }
  repo.lastUpdatedOn = now
  return top
}

/** The manifest and every child it references, as stored: what an import copies. */
export function closure(content: RegistryContent, digest: string): Manifest[] {
  const top = content.manifests.get(digest)
  if (!top) return []
  return [top, ...top.references.map((d) => content.manifests.get(d)).filter((m): m is Manifest => !!m)]
}

/** Resolves a tag or digest inside a repository; digests must belong to the repository. */
export function resolve(content: RegistryContent, repoName: string, reference: string): Manifest | undefined {
  const repo = content.repositories.get(repoName)
  if (!repo) return undefined
  const digest = reference.startsWith('sha256:')
    ? repo.manifests.has(reference)
      ? reference
      : undefined
    : repo.tags.get(reference)?.digest
  return digest ? content.manifests.get(digest) : undefined
}

export const tagsOf = (repo: Repository, digest: string) => [...repo.tags].filter(([, t]) => t.digest === digest).map(([name]) => name)
