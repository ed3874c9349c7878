/**
 * Image references and registry host names. Docker Hub answers under several
 * names; the twin keeps one content store for it, keyed `docker.io`.
 */
export const DOCKER_HUB = 'docker.io'
const DOCKER_ALIASES = ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']

export const canonicalHost = (host: string) => {
  const h = host
    .toLowerCase()
    .replace(/^https?:\/\//, '')
    .replace(/\/+$/, '')
  return DOCKER_ALIASES.includes(h) ? DOCKER_HUB : h
}

export interface ImageRef {
  host: string
  repository: string
  tag?: string
  digest?: string
}

/** `repo:tag`, `repo@sha256:…` or `repo` (no tag, no digest): the part after the registry host. */
export function parseRepoRef(s: string): { repository: string; tag?: string; digest?: string } | undefined {
  const at = s.indexOf('@')
  if (at >= 0) {
    const digest = s.slice(at + 1)
    const repository = s.slice(0, at)
    return /^sha256:[0-9a-f]{64}$/.test(digest) && isRepositoryName(repository) ? { repository, digest } : undefined
  }
  const colon = s.lastIndexOf(':')
  const slash = s.lastIndexOf('/')
  const [repository, tag] = colon > slash ? [s.slice(0, colon), s.slice(colon + 1)] : [s, undefined]
  if (!isRepositoryName(repository) || (tag !== undefined && !isTag(tag))) return undefined
  return { repository, tag }
}

/** Distribution spec name grammar: lower-case path components separated by `/`. */
export const isRepositoryName = (s: string) => /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/.test(s)
export const isTag = (s: string) => /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/.test(s)

/**
 * A full reference the way docker normalises it: no host means Docker Hub,
 * and a one-part Docker Hub name gets `library/`. Used by the builders only;
 * ACR import does not add `library/` (real imports of `docker.io/nginx` fail).
 */
export function parseImageRef(ref: string): ImageRef {
  const first = ref.split('/')[0]
  const hasHost = ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')
  const host = hasHost ? canonicalHost(first) : DOCKER_HUB
  const rest = hasHost ? ref.slice(first.length + 1) : ref
  const parsed = parseRepoRef(rest)
  if (!parsed) throw new Error(`twin: invalid image reference '${ref}'`)
  const repository = host === DOCKER_HUB && !parsed.repository.includes('/') ? `library/${parsed.repository}` : parsed.repository
  return { host, repository, tag: parsed.tag ?? (parsed.digest ? undefined : 'latest'), digest: parsed.digest }
}
