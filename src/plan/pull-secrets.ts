import { createHash } from 'node:crypto'
import type { KubeObject } from '../kube/kube-object.js'
import { parseImageReference } from '../settings/image-reference.js'
import type { PullLogin } from '../settings/registry-logins.js'
import { containersOf, podSpecOf } from './pod-spec.js'

/** The secret the action keeps for one server's login, in one namespace. */
export interface PullSecret {
  server: string
  name: string
  namespace: string
}

/** Docker Hub's key in a docker config, the one `kubectl create secret docker-registry` writes by default. */
const DOCKER_HUB_KEY = 'https://index.docker.io/v1/'

/**
 * The same server always gets the same name (the password is not part of it), so a re-run or a
 * rotated password updates the secret workloads already name instead of adding another.
 */
export function pullSecretName(server: string): string {
  const slug = server
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '')
  const hash = createHash('sha256').update(server.toLowerCase()).digest('hex').slice(0, 8)
  return `aks-acr-pull-${slug}-${hash}`
}

/** Does the image come from this login's server (its host, or a path of it such as `quay.io/contoso`)? */
export function servesImage(server: string, image: string): boolean {
  const reference = parseImageReference(image)
  if (typeof reference === 'string') return false
  const full = `${reference.registry}/${reference.repository}`
  return server === reference.registry || full.startsWith(`${server}/`)
}

/** The `.dockerconfigjson` of one login, as the kubelet reads it (`auths` keyed by server). */
export function dockerConfigJson(login: PullLogin): string {
  const key = login.server === 'docker.io' ? DOCKER_HUB_KEY : login.server
  const auth = Buffer.from(`${login.username}:${login.password}`).toString('base64')
  return JSON.stringify({ auths: { [key]: { username: login.username, password: login.password, auth } } })
}

/** Every form of a login's password that could be printed by mistake, for the runner to mask. */
export function loginSecrets(login: PullLogin): string[] {
  return [
    login.password,
    Buffer.from(`${login.username}:${login.password}`).toString('base64'),
    Buffer.from(dockerConfigJson(login)).toString('base64')
  ]
}

/** The secret object for one login in one namespace; its data is the docker config, base64 as the API wants it. */
export function pullSecretObject(login: PullLogin, namespace: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: pullSecretName(login.server), namespace, labels: { 'app.kubernetes.io/managed-by': 'aks-acr-action' } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(dockerConfigJson(login)).toString('base64') }
  }
}

/**
 * Pure: every workload gets the `pull-secrets` names, and the secret of each login whose server
 * serves one of its images, after the names it already lists (each once). Copies are returned.
 */
export function withImagePullSecrets(objects: KubeObject[], logins: PullLogin[], extra: string[]): KubeObject[] {
  if (logins.length === 0 && extra.length === 0) return objects
  return objects.map((original) => {
    if (!podSpecOf(original)) return original
    const object = structuredClone(original)
    const spec = podSpecOf(object)!
    const images = containersOf(spec).flatMap((container) => (typeof container.image === 'string' ? [container.image] : []))
    const fromLogins = logins
      .filter((login) => images.some((image) => servesImage(login.server, image)))
      .map((login) => pullSecretName(login.server))
    const names = [...(spec.imagePullSecrets ?? []).map((ref) => ref.name), ...extra, ...fromLogins].filter((name): name is string =>
      Boolean(name)
    )
    const unique = [...new Set(names)]
    if (unique.length > 0) spec.imagePullSecrets = unique.map((name) => ({ name }))
    return object
  })
}

/** The namespaces workloads run in: where a pull secret has to be, since pods read them from their own. */
export function workloadNamespaces(objects: KubeObject[], defaultNamespace: string): string[] {
  return [...new Set(objects.filter((object) => podSpecOf(object)).map((object) => object.metadata.namespace ?? defaultNamespace))].sort()
}
