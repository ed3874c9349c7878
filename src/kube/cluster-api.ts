import type { Applied, ApplyOptions } from './apply.js'
import type { WatchEvent } from './kube-client.js'
import type { KubeObject } from './kube-object.js'
import type { ResourceType } from './resources.js'

/** How the action talks to a cluster: straight to its API server, or through the AKS run-command API. */
export type Transport = 'direct' | 'run-command'

/** One kind in one namespace, optionally narrowed, to follow while a rollout or a probe runs. */
export interface Collection {
  type: ResourceType
  namespace: string
  /** Only these objects (the rollouts being verified), when the transport can ask for them by name. */
  names?: string[]
  labelSelector?: string
  fieldSelector?: string
  /** Following can go on without it (pods only speed up a diagnosis): its loss is reported, not thrown. */
  optional?: boolean
}

export type OnObject = (collection: Collection, type: WatchEvent['type'], object: Record<string, any>) => void
export type OnLost = (collection: Collection, error: Error) => void

/**
 * The one seam between the steps and a cluster, chosen once per run (`steps/cluster-connection.ts`).
 * Each operation is what a step needs, not a REST call, so a transport whose every call is a command
 * pod (run-command) can do each in as few pods as possible; a direct connection maps them onto REST
 * requests and watches. Readiness and pod problems are judged above this line, by one set of rules.
 */
export interface ClusterApi {
  readonly transport: Transport
  /** Where the calls go, for messages: the API server's URL, or the cluster's run-command API. */
  readonly endpoint: string
  /** The phase the calls serve ends here (epoch ms). */
  deadline: number | undefined
  /**
   * Every followed object costs log space (run-command logs are capped), so collections should
   * name only what is judged: pods by their workload's selector rather than the whole namespace.
   */
  readonly prefersNarrowCollections: boolean
  /** Server-side applies the objects as written, stage after stage (namespaces and CRDs first); a dry run validates only. */
  apply(stages: KubeObject[][], options: ApplyOptions): Promise<Applied[]>
  /**
   * Feeds `onObject` with every object of the collections, now and on every change, until `signal`
   * aborts: by watches where the transport has them, else by listing them all together, round after round.
   */
  follow(collections: Collection[], onObject: OnObject, onLost: OnLost, signal: AbortSignal): Promise<void>
  /** The events of one object, as the API server keeps them. */
  events(namespace: string, name: string): Promise<Array<Record<string, any>>>
  /** Puts a Deployment back on its previous revision, as `kubectl rollout undo`; says what happened. */
  rollBack(namespace: string, name: string): Promise<string>
  /** Creates a pod (a dry run: validates it); undefined when created, else why not. */
  createPod(pod: KubeObject): Promise<string | undefined>
  /**
   * Deletes a pod at once, with its own short deadline (the phase's may have passed); never throws:
   * undefined when it is gone (or never was), else why it could not be deleted.
   */
  deletePod(namespace: string, name: string): Promise<string | undefined>
  close(): void
}
