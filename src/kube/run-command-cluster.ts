import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'
import { pause } from '../net/pause.js'
import type { Mutations } from '../mutations.js'
import { explainApplyFailure, FIELD_MANAGER, unvalidated, type Applied, type ApplyOptions } from './apply.js'
import type { ClusterApi, Collection, OnLost, OnObject } from './cluster-api.js'
import type { KubeObject } from './kube-object.js'
import { kubectlError, kubectlScript, splitLog, type ScriptStep, type StepOutput } from './kubectl-script.js'
import { diffObjects } from './object-diff.js'
import { kubectlResource } from './resources.js'

/** Runs a shell command in a command pod inside the cluster (`az aks command invoke`). */
export interface CommandRunner {
  /** `files` land in the command's working directory; `repeatable`: running it twice does no harm. */
  run(command: string, files: Record<string, string>, signal: AbortSignal, repeatable: boolean): Promise<{ exitCode: number; logs: string }>
}

/** AKS keeps at most this much of a command's output (docs/azure.md, "Run command"). */
export const LOG_CAP_BYTES = 512 * 1024
/** Polling rounds start at most this often, however fast a command pod comes back. */
const ROUND_INTERVAL_MS = 2000
/** Clean-up commands may run this long after the phase's deadline. */
const CLEAN_UP_MS = 60_000

/**
 * The cluster through the AKS run-command API, for API servers the runner cannot reach (private
 * clusters, authorized IP ranges). Every call is a command pod that takes seconds to start, so each
 * operation is one command: all objects applied in one pod (each by its own `kubectl apply
 * --server-side`, to learn each one's fate), all followed collections listed in one pod per polling
 * round. Readiness is judged from those lists by the same rules as over a watch.
 */
export class RunCommandCluster implements ClusterApi {
  readonly transport = 'run-command'
  readonly prefersNarrowCollections = true
  readonly endpoint: string
  deadline: number | undefined
  /** Command pods started so far. */
  commands = 0
  private readonly runner: CommandRunner
  private readonly mutations: Mutations
  /** Warning events per namespace from the last polling round: a diagnosis needs no pod of its own. */
  private readonly warnings = new Map<string, Array<Record<string, any>>>()

  constructor(runner: CommandRunner, mutations: Mutations, endpoint: string) {
    this.runner = runner
    this.mutations = mutations
    this.endpoint = endpoint
  }

  async apply(stages: KubeObject[][], options: ApplyOptions): Promise<Applied[]> {
    const files: Record<string, string> = {}
    const steps: ScriptStep[] = []
    const entries = stages.flatMap((stage, s) => stage.map((object, i) => ({ object, id: `${s}-${i}` })))
    stages.forEach((stage, s) => {
      stage.forEach((object, i) => {
        const id = `${s}-${i}`
        const file = `object-${id}.json`
        files[file] = JSON.stringify(object)
        const namespace = object.metadata.namespace ? [] : ['-n', options.defaultNamespace]
        const output = printed(object)
        steps.push({ id: `before-${id}`, args: ['get', '-f', file, ...namespace, ...output, '--ignore-not-found'] })
        const flags = ['--server-side', `--field-manager=${FIELD_MANAGER}`, ...(options.forceConflicts ? ['--force-conflicts'] : [])]
        steps.push({ id: `apply-${id}`, args: options.mutations.kubectl(['apply', ...flags, ...namespace, '-f', file, ...output]) })
      })
      // Objects of later stages may be of these kinds: wait until the API server serves them.
      const crds = stage.filter((object) => object.kind === 'CustomResourceDefinition')
      if (crds.length > 0 && !options.mutations.dryRun) {
        // The wait runs inside one command: give it what is left of the run's deadline, less the command's own start.
        const seconds = this.deadline === undefined ? 300 : Math.max(5, Math.floor((this.deadline - Date.now()) / 1000) - 40)
        steps.push({
          id: `established-${s}`,
          args: [
            'wait',
            '--for=condition=established',
            `--timeout=${seconds}s`,
            ...crds.map((crd) => `customresourcedefinition/${crd.metadata.name}`)
          ]
        })
      }
    })
    core.info(`Applying ${entries.length} object(s) in one command pod (run-command)`)
    // Server-side apply of the same objects again changes nothing more.
    const outputs = await this.exec(steps, files, true)

    const applied: Applied[] = []
    const failures: Error[] = []
    for (const { object, id } of entries) {
      const before = readPrinted(object, outputs.get(`before-${id}`)!.output)
      const result = outputs.get(`apply-${id}`)!
      const live = result.exitCode === 0 ? readPrinted(object, result.output) : undefined
      if (live) {
        const namespace = live.metadata?.namespace as string | undefined
        // A Secret's data is never printed (so never compared): whether it would change is not known.
        const secret = object.kind === 'Secret'
        const changes = options.mutations.dryRun && !secret ? (before ? diffObjects(before, live) : []) : undefined
        const note =
          secret && before && options.mutations.dryRun
            ? 'its data is not read back through run command, so whether it would change is unknown'
            : undefined
        const done: Applied = {
          object: { ...object, metadata: { ...object.metadata, ...(namespace ? { namespace } : {}) } },
          namespace,
          result: before ? 'configured' : 'created',
          live,
          changes,
          ...(note ? { note } : {})
        }
        if (options.mutations.dryRun && object.kind === 'Namespace' && !before) options.namespacesToCreate.add(object.metadata.name)
        applied.push(done)
        options.onApplied(done)
        continue
      }
      const { reason, message } = kubectlError(result.output)
      const namespace = object.metadata.namespace ?? options.defaultNamespace
      if (options.mutations.dryRun && reason === 'NotFound' && options.namespacesToCreate.has(namespace)) {
        const done: Applied = { object, namespace, result: 'created', live: object, changes: [], note: unvalidated(namespace) }
        applied.push(done)
        options.onApplied(done)
        continue
      }
      failures.push(explainApplyFailure(object, reason, message))
    }
    const waits = [...outputs].filter(([id, output]) => id.startsWith('established-') && output.exitCode !== 0)
    for (const [, output] of waits)
      failures.push(
        new ActionError('A CustomResourceDefinition was not established in time', {
          detail: kubectlError(output.output).message,
          hint: "Raise 'timeout'"
        })
      )
    if (failures.length === 1) throw failures[0]
    if (failures.length > 1)
      throw new ActionError(`${failures.length} objects could not be applied`, { detail: failures.map((f) => f.message).join(' | ') })
    return applied
  }

  async follow(collections: Collection[], onObject: OnObject, onLost: OnLost, signal: AbortSignal): Promise<void> {
    // Per collection, the objects of the last round by uid: a watch's memory, rebuilt from lists.
    const seen = collections.map(() => new Map<string, Record<string, any>>())
    const lost = new Set<number>()
    const podNamespaces = [...new Set(collections.filter((c) => c.type.plural === 'pods').map((c) => c.namespace))]
    while (!signal.aborted) {
      const started = Date.now()
      const steps: ScriptStep[] = collections.flatMap((collection, i) =>
        lost.has(i) ? [] : [{ id: `list-${i}`, args: listArgs(collection) }]
      )
      podNamespaces.forEach((namespace, j) =>
        steps.push({ id: `warnings-${j}`, args: ['get', 'events', '-n', namespace, '--field-selector', 'type=Warning', '-o', 'json'] })
      )
      let outputs: Map<string, StepOutput>
      try {
        outputs = await this.exec(steps, {}, true, signal)
      } catch (error) {
        if (signal.aborted) return
        throw error
      }
      podNamespaces.forEach((namespace, j) => {
        const events = itemsOf(outputs.get(`warnings-${j}`)!)
        if (events) this.warnings.set(namespace, events)
      })
      collections.forEach((collection, i) => {
        if (lost.has(i)) return
        const output = outputs.get(`list-${i}`)!
        const items = itemsOf(output)
        if (!items) {
          const error = new ActionError(`listing ${kubectlResource(collection.type)} in ${collection.namespace} failed`, {
            code: kubectlError(output.output).reason,
            detail: kubectlError(output.output).message
          })
          if (!collection.optional) throw error
          lost.add(i)
          onLost(collection, error)
          return
        }
        // A list per round: what is new, changed or gone since the last one becomes the events a watch would have sent.
        const now = new Map(items.map((item) => [String(item.metadata?.uid ?? item.metadata?.name), item]))
        for (const [uid, item] of now) {
          const before = seen[i]!.get(uid)
          if (before && before.metadata?.resourceVersion === item.metadata?.resourceVersion) continue
          seen[i]!.set(uid, item)
          onObject(collection, before === undefined ? 'ADDED' : 'MODIFIED', item)
        }
        for (const [uid, item] of [...seen[i]!]) {
          if (now.has(uid)) continue
          seen[i]!.delete(uid)
          onObject(collection, 'DELETED', item)
        }
      })
      await pause(started + ROUND_INTERVAL_MS - Date.now(), signal)
    }
  }

  async events(namespace: string, name: string): Promise<Array<Record<string, any>>> {
    const cached = this.warnings.get(namespace)?.filter((event) => event.involvedObject?.name === name)
    if (cached?.length) return cached
    const outputs = await this.exec(
      [{ id: 'events', args: ['get', 'events', '-n', namespace, '--field-selector', `involvedObject.name=${name}`, '-o', 'json'] }],
      {},
      true
    )
    return itemsOf(outputs.get('events')!) ?? []
  }

  async rollBack(namespace: string, name: string): Promise<string> {
    // Undone twice, a Deployment would go back two revisions: never repeated.
    const outputs = await this.exec(
      [{ id: 'undo', args: this.mutations.kubectl(['rollout', 'undo', `deployment/${name}`, '-n', namespace]) }],
      {},
      false
    )
    const undo = outputs.get('undo')!
    const said = undo.output.trim().split('\n').pop() ?? ''
    return undo.exitCode === 0
      ? `deployment/${name}: ${said} (kubectl rollout undo)`
      : `deployment/${name}: rollback failed: ${kubectlError(undo.output).message}`
  }

  async createPod(pod: KubeObject): Promise<string | undefined> {
    const outputs = await this.exec(
      [{ id: 'create', args: this.mutations.kubectl(['create', '-f', 'pod.json', '-o', 'name']) }],
      { 'pod.json': JSON.stringify(pod) },
      false
    )
    const create = outputs.get('create')!
    return create.exitCode === 0 ? undefined : kubectlError(create.output).message
  }

  async deletePod(namespace: string, name: string): Promise<string | undefined> {
    const deadline = this.deadline
    this.deadline = Date.now() + CLEAN_UP_MS
    try {
      const outputs = await this.exec(
        [
          {
            id: 'delete',
            args: this.mutations.kubectl(['delete', 'pod', name, '-n', namespace, '--grace-period=0', '--wait=false', '--ignore-not-found'])
          }
        ],
        {},
        true
      )
      const deleted = outputs.get('delete')!
      return deleted.exitCode === 0 ? undefined : kubectlError(deleted.output).message
    } catch (error) {
      return errorMessage(error)
    } finally {
      this.deadline = deadline
    }
  }

  close(): void {
    this.warnings.clear()
  }

  /** One command pod for all the steps; its log split back into each step's output. */
  private async exec(
    steps: ScriptStep[],
    files: Record<string, string>,
    repeatable: boolean,
    signal?: AbortSignal
  ): Promise<Map<string, StepOutput>> {
    const limits = [signal, this.deadline === undefined ? undefined : AbortSignal.timeout(Math.max(0, this.deadline - Date.now()))].filter(
      (s): s is AbortSignal => s !== undefined
    )
    this.commands++
    const result = await this.runner.run(kubectlScript(steps), files, AbortSignal.any(limits), repeatable)
    const outputs = splitLog(
      result.logs,
      steps.map((step) => step.id)
    )
    const unfinished = steps.find((step) => outputs.get(step.id)!.exitCode === undefined)
    if (!unfinished) return outputs
    if (Buffer.byteLength(result.logs) >= LOG_CAP_BYTES - 4096) {
      throw new ActionError(`The output of the command pod reached the ${LOG_CAP_BYTES / 1024} kB that AKS keeps of it`, {
        code: 'LogCapReached',
        detail: `the output of '${unfinished.id}' and what followed were cut off`,
        hint: "Deploy fewer workloads per run, or run the job on a self-hosted runner in the cluster's network so the action reaches the API server directly"
      })
    }
    throw new ActionError('The command pod ended before its work was done', {
      code: `exit ${result.exitCode}`,
      detail: `'${unfinished.id}' did not finish; the end of its output: ${result.logs.slice(-300).trim()}`
    })
  }
}

function listArgs(collection: Collection): string[] {
  return [
    'get',
    kubectlResource(collection.type),
    ...(collection.names ?? []),
    '-n',
    collection.namespace,
    ...(collection.labelSelector ? ['-l', collection.labelSelector] : []),
    ...(collection.fieldSelector ? ['--field-selector', collection.fieldSelector] : []),
    // Named objects are printed one by one unless kubectl is told to make a list.
    '-o',
    'json',
    ...(collection.names?.length ? ['--ignore-not-found'] : [])
  ]
}

/** The items of a `kubectl get -o json`: a List, or one object when a single name was asked for. */
function itemsOf(output: StepOutput): Array<Record<string, any>> | undefined {
  if (output.exitCode !== 0) return undefined
  if (output.output.trim() === '') return []
  const parsed = parseJson(output.output)
  if (!parsed) return undefined
  return Array.isArray(parsed.items) ? parsed.items : [parsed]
}

/** kubectl's JSON, after any warnings it wrote to stderr first (the two streams are one log here). */
/**
 * How kubectl prints an object into the command's logs, which AKS keeps for anyone with
 * commandResults/read: a Secret as its namespace, name and version only, never its data (nor the
 * last-applied annotation, which would repeat it).
 */
function printed(object: KubeObject): string[] {
  if (object.kind !== 'Secret') return ['-o', 'json']
  return ['-o', `jsonpath=${SECRET_MARK}{.metadata.namespace}{" "}{.metadata.name}{" "}{.metadata.resourceVersion}{"\\n"}`]
}

const SECRET_MARK = 'secret-metadata '

function readPrinted(object: KubeObject, output: string): Record<string, any> | undefined {
  if (object.kind !== 'Secret') return parseJson(output)
  const line = output.split('\n').find((l) => l.startsWith(SECRET_MARK))
  if (!line) return undefined
  const [namespace, name, resourceVersion] = line.slice(SECRET_MARK.length).trim().split(' ')
  return { apiVersion: object.apiVersion, kind: object.kind, metadata: { namespace, name, resourceVersion } }
}

function parseJson(output: string): Record<string, any> | undefined {
  const start = output.search(/^[{[]/m)
  if (start < 0) return undefined
  try {
    return JSON.parse(output.slice(start)) as Record<string, any>
  } catch {
    return undefined
  }
}
