/**
 * The resource types each twin API server serves, as discovery lists them.
 * Short names, categories and verbs are the real ones: kubectl resolves
 * `deploy`, `po`, `all` through them.
 */
export interface ResourceDef {
  group: string
  version: string
  kind: string
  plural: string
  singular: string
  namespaced: boolean
  shortNames?: string[]
  categories?: string[]
  /** Subresources served besides the main resource. */
  subresources: string[]
  /** Spec changes bump metadata.generation (workloads, CRDs). */
  generation: boolean
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']

const def = (group: string, kind: string, plural: string, namespaced: boolean, o: Partial<ResourceDef> = {}): ResourceDef => ({
  group,
  version: 'v1',
  kind,
  plural,
  singular: kind.toLowerCase(),
  namespaced,
  subresources: [],
  generation: false,
  ...o
})

export const RESOURCES: ResourceDef[] = [
  def('', 'Namespace', 'namespaces', false, { shortNames: ['ns'], subresources: ['status'] }),
  def('', 'Node', 'nodes', false, { shortNames: ['no'], subresources: ['status'] }),
  def('', 'Pod', 'pods', true, { shortNames: ['po'], categories: ['all'], subresources: ['status', 'log', 'attach'] }),
  def('', 'Event', 'events', true, { shortNames: ['ev'] }),
  def('', 'ConfigMap', 'configmaps', true, { shortNames: ['cm'] }),
  def('', 'Secret', 'secrets', true),
  def('', 'Service', 'services', true, { shortNames: ['svc'], categories: ['all'], subresources: ['status'] }),
  def('', 'ServiceAccount', 'serviceaccounts', true, { shortNames: ['sa'] }),
  def('apps', 'Deployment', 'deployments', true, {
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    generation: true
  }),
  def('apps', 'ReplicaSet', 'replicasets', true, {
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    generation: true
  }),
  def('apps', 'StatefulSet', 'statefulsets', true, {
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    generation: true
  }),
  def('apps', 'DaemonSet', 'daemonsets', true, { shortNames: ['ds'], categories: ['all'], subresources: ['status'], generation: true }),
  def('apps', 'ControllerRevision', 'controllerrevisions', true),
  def('batch', 'Job', 'jobs', true, { categories: ['all'], subresources: ['status'], generation: true }),
  def('apiextensions.k8s.io', 'CustomResourceDefinition', 'customresourcedefinitions', false, {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    subresources: ['status'],
    generation: true
  })
]

export const VERBS = ALL_VERBS

export const groupVersion = (r: ResourceDef) => (r.group ? `${r.group}/${r.version}` : r.version)

export function findResource(group: string, version: string, plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.plural === plural)
}

export function resourceForKind(apiVersion: string, kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => groupVersion(r) === apiVersion && r.kind === kind)
}

/** Group versions in the order discovery lists them. */
export function groupVersions(): Array<{ group: string; version: string }> {
  const seen = new Map<string, { group: string; version: string }>()
  for (const r of RESOURCES) seen.set(groupVersion(r), { group: r.group, version: r.version })
  return [...seen.values()]
}
