import type { KubeObject, Manifest } from '../kube/kube-object.js'
import { parseImageReference } from '../settings/image-reference.js'
import { containersOf, podSpecOf } from './pod-spec.js'
import type { PullLogin } from '../settings/registry-logins.js'
import { pullSecretName, pullSecretObject, withImagePullSecrets, workloadNamespaces, type PullSecret } from './pull-secrets.js'
import { annotate } from './run-annotations.js'

export interface ImageRewrite {
  object: string
  container: string
  from: string
  to: string
}

/** The seed's manifest writes the registry as a placeholder: `image: <acr-name>.azurecr.io/nginx:v1`. */
const PLACEHOLDER = '<acr-name>'

/**
 * Pure: points every container image that names the registry (its `<name>.<acr suffix>` host, or
 * the `<acr-name>` placeholder) at the registry's real login server, and pins tags imported in
 * this run to their digest (`repo:tag@sha256:...`). Returns rewritten copies; the input is untouched.
 */
export function rewriteImages(
  objects: KubeObject[],
  registry: { name: string; loginServer: string },
  acrSuffix: string,
  importedDigests: Map<string, string>
): { objects: KubeObject[]; rewrites: ImageRewrite[] } {
  const rewrites: ImageRewrite[] = []
  const ourHosts = new Set([`${registry.name}.${acrSuffix}`.toLowerCase(), registry.loginServer.toLowerCase()])
  const rewritten = objects.map((original) => {
    const object = structuredClone(original)
    for (const container of containersOf(podSpecOf(object))) {
      if (typeof container.image !== 'string') continue
      const image = rewriteOne(container.image, ourHosts, registry.loginServer, acrSuffix, importedDigests)
      if (image !== container.image) {
        rewrites.push({
          object: `${object.kind}/${object.metadata.name}`,
          container: container.name ?? '',
          from: container.image,
          to: image
        })
        container.image = image
      }
    }
    return object
  })
  return { objects: rewritten, rewrites }
}

function rewriteOne(
  image: string,
  ourHosts: Set<string>,
  loginServer: string,
  acrSuffix: string,
  importedDigests: Map<string, string>
): string {
  let candidate = image
  if (candidate.startsWith(PLACEHOLDER)) {
    const rest = candidate.slice(PLACEHOLDER.length).replace(new RegExp(`^\\.${acrSuffix.replace(/\./g, '\\.')}`, 'i'), '')
    candidate = `${loginServer}${rest}`
  }
  const slash = candidate.indexOf('/')
  if (slash < 0 || !ourHosts.has(candidate.slice(0, slash).toLowerCase())) return image
  candidate = `${loginServer}${candidate.slice(slash)}`
  const reference = parseImageReference(candidate)
  if (typeof reference !== 'string' && reference.tag && !reference.digest) {
    const digest = importedDigests.get(`${reference.repository}:${reference.tag}`)
    if (digest) candidate = `${candidate}@${digest}`
  }
  return candidate
}

/**
 * What deploy will apply: namespaces and CRDs first (the rest may live in them or be their kinds),
 * then the image pull secrets (pods that name one must find it), then the others.
 */
export interface DeployPlan {
  foundation: KubeObject[]
  /** The image pull secrets of `registry-logins`, one per server in each namespace workloads run in. */
  secrets: KubeObject[]
  objects: KubeObject[]
  rewrites: ImageRewrite[]
  /** The namespace `namespace` asks for, when no manifest declares it: created by the apply. */
  createsNamespace: string | undefined
  /** Which secret holds which server's login, where (names only: the report shows these). */
  pullSecrets: PullSecret[]
  /** What every applied object is annotated with (empty with `annotate: false`). */
  annotations: Record<string, string>
}

/** What deploy adds to the manifests beyond pointing images at the registry. */
export interface DeployAdditions {
  registryLogins?: PullLogin[]
  /** Existing secret names every workload gets in `imagePullSecrets`. */
  pullSecrets?: string[]
  annotations?: Record<string, string>
}

function isFoundation(object: KubeObject): boolean {
  return (object.apiVersion === 'v1' && object.kind === 'Namespace') || object.kind === 'CustomResourceDefinition'
}

/**
 * Pure: the manifests' objects with their images pointed at the registry and pinned to the digests
 * of tags this run imports, ordered for the apply, with the namespace the input names added; then
 * the image pull secrets of `registry-logins` and `pull-secrets` named by the workloads that need
 * them, and the run's annotations on every object's own metadata.
 */
export function planDeploy(
  manifests: Manifest[],
  namespace: string | undefined,
  registry: { name: string; loginServer: string } | undefined,
  acrSuffix: string,
  importedDigests: Map<string, string>,
  additions: DeployAdditions = {}
): DeployPlan {
  const written = manifests.map((m) => m.object)
  const { objects: rewritten, rewrites } = registry
    ? rewriteImages(written, registry, acrSuffix, importedDigests)
    : { objects: written, rewrites: [] }
  const logins = additions.registryLogins ?? []
  const objects = withImagePullSecrets(rewritten, logins, additions.pullSecrets ?? [])
  const foundation = objects.filter(isFoundation)
  const declared = foundation.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace)
  const createsNamespace = namespace && !declared ? namespace : undefined
  if (createsNamespace) foundation.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: createsNamespace } })
  const namespaces = logins.length > 0 ? workloadNamespaces(objects, namespace ?? 'default') : []
  const secrets = namespaces.flatMap((ns) => logins.map((login) => pullSecretObject(login, ns)))
  const pullSecrets = namespaces.flatMap((ns) =>
    logins.map((login) => ({ server: login.server, name: pullSecretName(login.server), namespace: ns }))
  )
  const annotations = additions.annotations ?? {}
  return {
    foundation: annotate(foundation, annotations),
    secrets: annotate(secrets, annotations),
    objects: annotate(
      objects.filter((o) => !isFoundation(o)),
      annotations
    ),
    rewrites,
    createsNamespace,
    pullSecrets,
    annotations
  }
}
