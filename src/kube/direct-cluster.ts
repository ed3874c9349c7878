import { ActionError, errorMessage } from '../errors.js'
import { pause } from '../net/pause.js'
import { NetworkError } from '../net/network-error.js'
import type { Mutations } from '../mutations.js'
import { mapLimit } from '../net/map-limit.js'
import { applyObject, type Applied, type ApplyOptions } from './apply.js'
import type { ClusterApi, Collection, OnLost, OnObject } from './cluster-api.js'
import type { KubeClient, KubeStatus } from './kube-client.js'
import type { KubeObject } from './kube-object.js'
import { collectionPath, ResourceMap } from './resources.js'
import { rollBackDeployment } from './rollback.js'
import { listAndWatch } from './rollout-watch.js'

/** Objects applied at once over a direct connection. */
const APPLY_CONCURRENCY = 8
/** Deleting a pod may take this long after the phase's deadline. */
const CLEAN_UP_MS = 15_000

/**
 * The cluster over a direct connection to its API server: REST requests, server-side apply of each
 * object, and watches (resumed from their last version, re-listed on 410).
 */
export class DirectCluster implements ClusterApi {
  readonly transport = 'direct'
  readonly prefersNarrowCollections = false
  private readonly client: KubeClient
  private readonly mutations: Mutations

  constructor(client: KubeClient, mutations: Mutations) {
    this.client = client
    this.mutations = mutations
  }

  get endpoint(): string {
    return this.client.server
  }

  get deadline(): number | undefined {
    return this.client.deadline
  }

  set deadline(value: number | undefined) {
    this.client.deadline = value
  }

  async apply(stages: KubeObject[][], options: ApplyOptions): Promise<Applied[]> {
    const resources = new ResourceMap(this.client)
    const applied: Applied[] = []
    for (const stage of stages) {
      const failures: Error[] = []
      await mapLimit(stage, APPLY_CONCURRENCY, async (object) => {
        try {
          const result = await applyObject(this.client, resources, object, options)
          applied.push(result)
          options.onApplied(result)
          if (options.mutations.dryRun && result.object.kind === 'Namespace' && result.result === 'created')
            options.namespacesToCreate.add(result.object.metadata.name)
        } catch (error) {
          failures.push(error as Error)
        }
      })
      if (failures.length === 1) throw failures[0]
      if (failures.length > 1)
        throw new ActionError(`${failures.length} objects could not be applied`, { detail: failures.map((f) => f.message).join(' | ') })
      const crds = stage.filter((object) => object.kind === 'CustomResourceDefinition')
      if (crds.length > 0) {
        if (!options.mutations.dryRun) await this.waitForCrds(crds)
        resources.refresh()
      }
    }
    return applied
  }

  async follow(collections: Collection[], onObject: OnObject, onLost: OnLost, signal: AbortSignal): Promise<void> {
    await Promise.all(
      collections.map(async (collection) => {
        const single = collection.names?.length === 1 ? `metadata.name=${collection.names[0]}` : undefined
        const fieldSelector = [collection.fieldSelector, single].filter(Boolean).join(',') || undefined
        const query = { labelSelector: collection.labelSelector, fieldSelector }
        const wanted = (object: Record<string, any>) => !collection.names || collection.names.includes(object.metadata?.name)
        try {
          await listAndWatch(
            this.client,
            collectionPath(collection.type, collection.namespace),
            query,
            (type, object) => wanted(object) && onObject(collection, type, object),
            signal
          )
        } catch (error) {
          if (!collection.optional || signal.aborted) throw error
          onLost(collection, error as Error)
        }
      })
    )
  }

  async events(namespace: string, name: string): Promise<Array<Record<string, any>>> {
    const response = await this.client.request<{ items?: Array<Record<string, any>> }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`,
      {
        query: { fieldSelector: `involvedObject.name=${name}` }
      }
    )
    return response.status === 200 ? (response.body.items ?? []) : []
  }

  rollBack(namespace: string, name: string): Promise<string> {
    return rollBackDeployment(this.client, this.mutations, namespace, name)
  }

  async createPod(pod: KubeObject): Promise<string | undefined> {
    const created = await this.mutations.kube(
      this.client,
      'POST',
      `/api/v1/namespaces/${encodeURIComponent(pod.metadata.namespace ?? 'default')}/pods`,
      { body: pod }
    )
    if (created.status === 201 || created.status === 200) return undefined
    return `HTTP ${created.status} ${(created.body as { message?: string } | undefined)?.message ?? ''}`.trim()
  }

  async deletePod(namespace: string, name: string): Promise<string | undefined> {
    try {
      const deleted = await this.mutations.kube(
        this.client,
        'DELETE',
        `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}`,
        {
          query: { gracePeriodSeconds: '0' },
          deadline: Date.now() + CLEAN_UP_MS
        }
      )
      if (deleted.status < 300 || deleted.status === 404) return undefined
      const body = deleted.body as KubeStatus | undefined
      return [`HTTP ${deleted.status}`, body?.reason, body?.message].filter(Boolean).join(': ')
    } catch (error) {
      return errorMessage(error)
    }
  }

  close(): void {
    this.client.close()
  }

  /** true when the API server answers at all (if only to refuse), else why it could not be reached. */
  async reachable(): Promise<true | NetworkError> {
    try {
      await this.client.request('GET', '/version')
      return true
    } catch (error) {
      if (error instanceof NetworkError) return error
      if (error instanceof Error && error.cause instanceof NetworkError) return error.cause
      return true
    }
  }

  private async waitForCrds(crds: KubeObject[]): Promise<void> {
    for (const crd of crds) {
      for (;;) {
        const response = await this.client.request<Record<string, any>>(
          'GET',
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`
        )
        // Just applied, it may not be readable for a moment (404); any other refusal will not pass by waiting.
        if (response.status >= 400 && response.status !== 404) {
          const body = response.body as KubeStatus | undefined
          throw new ActionError(`Could not read CustomResourceDefinition ${crd.metadata.name} to wait until it is established`, {
            code: body?.reason ?? `HTTP ${response.status}`,
            detail: body?.message
          })
        }
        const established = (response.body?.status?.conditions ?? []).some(
          (c: { type?: string; status?: string }) => c.type === 'Established' && c.status === 'True'
        )
        if (established) break
        if (this.client.deadline !== undefined && Date.now() > this.client.deadline) {
          throw new ActionError(`CustomResourceDefinition ${crd.metadata.name} was not established before the timeout`, {
            hint: "Raise 'timeout'"
          })
        }
        await pause(500)
      }
    }
  }
}
