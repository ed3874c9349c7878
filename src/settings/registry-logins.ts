import { InputError } from '../errors.js'

/** A login for a registry outside Azure, from `registry-logins`; the password is masked as soon as it is read. */
export interface PullLogin {
  /** `quay.io`, `ghcr.io`, `registry.example.com:5000`, `docker.io`; optionally with a path (`quay.io/contoso`). */
  server: string
  username: string
  password: string
}

const DOCKER_HUB_NAMES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'hub.docker.com'])

/**
 * `registry-logins`: one `SERVER USERNAME PASSWORD` per line, separated by spaces or tabs. Lines are
 * named by number only: a line that cannot be read may hold a password.
 */
export function parseRegistryLogins(raw: string): PullLogin[] {
  const logins: PullLogin[] = []
  const seen = new Map<string, number>()
  raw.split('\n').forEach((text, index) => {
    const line = index + 1
    const fields = text
      .trim()
      .split(/\s+/)
      .filter((field) => field.length > 0)
    if (fields.length === 0) return
    if (fields.length !== 3) {
      throw new InputError(
        'registry-logins',
        `line ${line} has ${fields.length} field(s); each line is 'SERVER USERNAME PASSWORD', separated by spaces (a password cannot contain spaces)`
      )
    }
    const [rawServer, username, password] = fields as [string, string, string]
    const server = normalizeServer(rawServer)
    if (!server)
      throw new InputError(
        'registry-logins',
        `line ${line}: '${rawServer}' is not a registry server (host[:port], like quay.io or registry.example.com:5000)`
      )
    const earlier = seen.get(server)
    if (earlier !== undefined)
      throw new InputError('registry-logins', `line ${line} repeats server ${server} of line ${earlier}; give one login per server`)
    seen.set(server, line)
    logins.push({ server, username, password })
  })
  return logins
}

/**
 * `https://index.docker.io/v1/` → `docker.io`, `Quay.io/` → `quay.io`: a server as the kubelet's
 * credential keyring matches it (scheme and `/v1/`, `/v2/` dropped), or undefined when it is not one.
 */
export function normalizeServer(raw: string): string | undefined {
  const text = raw
    .trim()
    .replace(/^https?:\/\//i, '')
    .replace(/\/v[12]\/?$/i, '')
    .replace(/\/+$/, '')
  const slash = text.indexOf('/')
  const host = (slash < 0 ? text : text.slice(0, slash)).toLowerCase()
  const path = slash < 0 ? '' : text.slice(slash)
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?$/.test(host)) return undefined
  if (path && !/^(\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)+$/.test(path)) return undefined
  return `${DOCKER_HUB_NAMES.has(host) ? 'docker.io' : host}${path}`
}
