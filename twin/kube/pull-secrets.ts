/**
 * The kubelet's image pull credentials for one pod: the secrets its `imagePullSecrets` name, read
 * from its namespace (getPullSecretsForPod), turned into a keyring (MakeDockerKeyring) and looked
 * up for the image (BasicDockerKeyring.Lookup): keys match by host and path prefix, and Docker Hub
 * images fall back on the `index.docker.io` key that `https://index.docker.io/v1/` becomes.
 */
import type { KubeCluster } from './cluster.ts'
import type { KObj } from './store.ts'
import type { ImageRef } from './images.ts'
import type { Credentials } from '../registry/upstream.ts'

export interface PodPullCredentials {
  /** Every login whose key matches the image, in the order the pod names its secrets. */
  credentials: Credentials[]
  /** Secrets the pod names that do not exist in its namespace. */
  missing: string[]
}

interface Entry {
  key: { host: string; path: string }
  credentials: Credentials
}

/** A docker config key as the keyring stores it: no scheme, `/v1/` and `/v2/` dropped. */
function parseKey(raw: string): { host: string; path: string } {
  const text = raw.replace(/^https?:\/\//i, '')
  const slash = text.indexOf('/')
  const host = (slash < 0 ? text : text.slice(0, slash)).toLowerCase()
  let path = slash < 0 ? '' : text.slice(slash)
  if (/^\/v[12]\//.test(path)) path = path.slice(3)
  return { host, path: path.replace(/\/+$/, '') }
}

function entriesOf(secret: KObj): Entry[] {
  const data = secret.data ?? {}
  let auths: Record<string, any> | undefined
  try {
    if (secret.type === 'kubernetes.io/dockerconfigjson' && data['.dockerconfigjson']) {
      auths = JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8')).auths
    } else if (secret.type === 'kubernetes.io/dockercfg' && data['.dockercfg']) {
      auths = JSON.parse(Buffer.from(data['.dockercfg'], 'base64').toString('utf8'))
    }
  } catch {
    return []
  }
  return Object.entries(auths ?? {}).map(([key, entry]) => {
    let username = String(entry?.username ?? '')
    let password = String(entry?.password ?? '')
    // `auth` (base64 of user:password) wins over the separate fields, as the kubelet reads it.
    if (typeof entry?.auth === 'string' && entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
      const colon = decoded.indexOf(':')
      if (colon > 0) {
        username = decoded.slice(0, colon)
        password = decoded.slice(colon + 1)
      }
    }
    return { key: parseKey(key), credentials: { username, password } }
  })
}

const matches = (key: Entry['key'], ref: ImageRef) =>
  key.host === ref.host && (key.path === '' || `/${ref.repository}/`.startsWith(`${key.path}/`))

export function pullCredentialsFor(k: KubeCluster, pod: KObj, ref: ImageRef): PodPullCredentials {
  const entries: Entry[] = []
  const missing: string[] = []
  for (const named of pod.spec?.imagePullSecrets ?? []) {
    if (!named?.name) continue
    const secret = k.get('Secret', pod.metadata.namespace, named.name)
    if (!secret) {
      missing.push(named.name)
      continue
    }
    entries.push(...entriesOf(secret))
  }
  let found = entries.filter((e) => matches(e.key, ref))
  if (found.length === 0 && ref.host === 'docker.io') found = entries.filter((e) => e.key.host === 'index.docker.io' && e.key.path === '')
  return { credentials: found.map((e) => e.credentials), missing }
}
