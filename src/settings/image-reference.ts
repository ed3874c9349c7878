/**
 * A container image reference as Docker reads one: `[host[:port]/]path[:tag][@digest]`, where the
 * first component is a host only if it has a dot or a port or is `localhost`; without a host the
 * image is on Docker Hub, and a single-component path there lives under `library/`.
 */
export interface ImageReference {
  /** Registry host as written (`docker.io` for Docker Hub). */
  registry: string
  repository: string
  tag: string | undefined
  digest: string | undefined
}

export const DOCKER_HUB = 'docker.io'
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^[\w][\w.-]{0,127}$/
const DIGEST = /^sha256:[a-f0-9]{64}$/

/** Docker's rule: the first path component names a registry host if it has a dot or a port, or is `localhost`. */
export function isRegistryHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost'
}

/** Whether a reference as written starts with a registry host (`myacr.azurecr.io/app`) rather than a repository (`app`). */
export function namesRegistryHost(reference: string): boolean {
  const slash = reference.indexOf('/')
  return slash > 0 && isRegistryHost(reference.slice(0, slash))
}

/** Returns the parsed reference, or a sentence saying what is wrong with it. */
export function parseImageReference(text: string): ImageReference | string {
  let rest = text.trim()
  if (rest.length === 0) return 'the image reference is empty'
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) return `'${digest}' is not a sha256 digest (sha256: and 64 hex digits)`
  }
  let tag: string | undefined
  const lastSlash = rest.lastIndexOf('/')
  const colon = rest.lastIndexOf(':')
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1)
    rest = rest.slice(0, colon)
    if (!TAG.test(tag)) return `'${tag}' is not a valid tag`
  }
  const parts = rest.split('/')
  let registry = DOCKER_HUB
  if (parts.length > 1 && isRegistryHost(parts[0]!)) {
    registry = parts.shift()!.toLowerCase()
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io' || registry === 'registry.hub.docker.com') registry = DOCKER_HUB
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  for (const part of parts) {
    if (!COMPONENT.test(part))
      return `'${part}' in '${text.trim()}' is not a valid repository name component (lowercase letters, digits, '.', '_', '-')`
  }
  return { registry, repository: parts.join('/'), tag, digest }
}

export function formatReference(ref: ImageReference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}
