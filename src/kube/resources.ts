import type { KubeClient, KubeStatus } from './kube-client.js'
import type { KubeObject } from './kube-object.js'

export interface ResourceType {
  /** `/api/v1` or `/apis/<group>/<version>` */
  base: string
  plural: string
  namespaced: boolean
}

/** The kinds manifests usually hold, known without asking the server (no discovery on the critical path). */
const BUILT_IN: Record<string, { plural: string; namespaced: boolean }> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'v1/PersistentVolumeClaim': { plural: 'persistentvolumeclaims', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/StatefulSet': { plural: 'statefulsets', namespaced: true },
  'apps/v1/DaemonSet': { plural: 'daemonsets', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'batch/v1/CronJob': { plural: 'cronjobs', namespaced: true },
  'networking.k8s.io/v1/Ingress': { plural: 'ingresses', namespaced: true },
  'networking.k8s.io/v1/NetworkPolicy': { plural: 'networkpolicies', namespaced: true },
  'policy/v1/PodDisruptionBudget': { plural: 'poddisruptionbudgets', namespaced: true },
  'autoscaling/v2/HorizontalPodAutoscaler': { plural: 'horizontalpodautoscalers', namespaced: true },
  'rbac.authorization.k8s.io/v1/Role': { plural: 'roles', namespaced: true },
  'rbac.authorization.k8s.io/v1/RoleBinding': { plural: 'rolebindings', namespaced: true },
  'rbac.authorization.k8s.io/v1/ClusterRole': { plural: 'clusterroles', namespaced: false },
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': { plural: 'clusterrolebindings', namespaced: false },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false }
}

/** The REST type of a built-in kind (the workloads, namespaces, ...), known without asking the server. */
export function builtInType(apiVersion: string, kind: string): ResourceType | undefined {
  const known = BUILT_IN[`${apiVersion}/${kind}`]
  return known ? { base: apiBase(apiVersion), ...known } : undefined
}

/** How kubectl names a type unambiguously: `deployments.v1.apps`, `pods` (the core group has no name). */
export function kubectlResource(type: ResourceType): string {
  const [, group, version] = /^\/apis?\/(?:([^/]+)\/)?([^/]+)$/.exec(type.base) ?? []
  return group ? `${type.plural}.${version}.${group}` : type.plural
}

export function apiBase(apiVersion: string): string {
  return apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`
}

/**
 * Maps kinds to REST paths: built-ins from the table, anything else (custom resources) from the
 * server's discovery for that group version, asked once per group version.
 */
export class ResourceMap {
  private readonly client: KubeClient
  private readonly discovered = new Map<string, Promise<Map<string, { plural: string; namespaced: boolean }>>>()

  constructor(client: KubeClient) {
    this.client = client
  }

  async typeOf(object: Pick<KubeObject, 'apiVersion' | 'kind'>): Promise<ResourceType> {
    const base = apiBase(object.apiVersion)
    const known = BUILT_IN[`${object.apiVersion}/${object.kind}`]
    if (known) return { base, ...known }
    const kinds = await this.discover(object.apiVersion)
    const found = kinds.get(object.kind)
    if (!found)
      throw new Error(`the cluster does not serve kind ${object.kind} in ${object.apiVersion} (is its CustomResourceDefinition installed?)`)
    return { base, ...found }
  }

  /** Forgets what discovery said, after CRDs were applied. */
  refresh(): void {
    this.discovered.clear()
  }

  private discover(apiVersion: string) {
    let pending = this.discovered.get(apiVersion)
    if (!pending) {
      pending = this.client
        .request<{ resources?: Array<{ name: string; kind: string; namespaced: boolean }> } & KubeStatus>('GET', apiBase(apiVersion))
        .then((response) => {
          const kinds = new Map<string, { plural: string; namespaced: boolean }>()
          // 404: the group/version is not served (no CRD yet); any other refusal says nothing about the kinds.
          if (response.status !== 200 && response.status !== 404) {
            throw new Error(
              `could not discover the kinds of ${apiVersion}: HTTP ${response.status}${response.body?.reason ? ` ${response.body.reason}` : ''}${response.body?.message ? `: ${response.body.message}` : ''}`
            )
          }
          for (const resource of response.status === 200 ? (response.body.resources ?? []) : []) {
            if (!resource.name.includes('/')) kinds.set(resource.kind, { plural: resource.name, namespaced: resource.namespaced })
          }
          return kinds
        })
      // A failed discovery is not remembered: the next object of that version asks again.
      pending.catch(() => this.discovered.delete(apiVersion))
      this.discovered.set(apiVersion, pending)
    }
    return pending
  }
}

export function objectPath(type: ResourceType, name: string, namespace: string | undefined): string {
  const scope = type.namespaced ? `/namespaces/${encodeURIComponent(namespace ?? 'default')}` : ''
  return `${type.base}${scope}/${type.plural}/${encodeURIComponent(name)}`
}

export function collectionPath(type: ResourceType, namespace: string | undefined): string {
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : ''
  return `${type.base}${scope}/${type.plural}`
}
