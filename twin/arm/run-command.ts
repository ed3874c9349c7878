/**
 * AKS run command (`az aks command invoke`), a long-running operation:
 * `POST …/managedClusters/{name}/runCommand` with `{command, context?, clusterToken?}`
 * answers 202 with only a `Location` to `…/commandResults/{id}`; that answers
 * 202 (with `Location` again) while the command pod starts and runs, then 200
 * `{id, properties: {provisioningState: 'Succeeded', exitCode, startedAt, finishedAt, logs}}`,
 * or 200 `{id, properties: {provisioningState: 'Failed', reason}}` when the pod
 * never ran the command to its end (RunCommandRequest.json,
 * RunCommandResultSucceed.json, RunCommandResultFailed.json).
 *
 * Real AKS waits inside the POST for the command pod to start (up to 30 s,
 * within ARM's 60 s for synchronous requests) and fails the POST itself with
 * `KubernetesPerformanceError` when it does not (azure-cli#22738, #23203,
 * #27776 show the error coming from the initial request). `state.runCommandStartWait`
 * picks that ('sync', the default) or the shape the REST examples suggest ('async':
 * 202 at once, the start failure as a `Failed` result).
 *
 * The command runs for real in `kube/command-pod.ts`, in the cluster's own
 * network (`cluster-network.ts`), as the caller's Entra identity on Entra ID
 * clusters (the `clusterToken`) and as the cluster admin elsewhere.
 */
import { randomBytes } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Cluster } from '../state.ts'
import { authorize, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps } from './context.ts'
import { armError, resourceGroupNotFound, resourceNotFound } from './errors.ts'
import { readZip, ZipError } from '../zip.ts'
import type { ZipEntry } from '../zip.ts'
import { startCommandPod } from '../kube/command-pod.ts'
import type { RunningPod } from '../kube/command-pod.ts'
import type { ClusterNetwork, OpenClusterNetwork } from '../cluster-network.ts'

export const RUN_COMMAND_ACTION = 'Microsoft.ContainerService/managedClusters/runcommand/action'
export const COMMAND_RESULTS_READ = 'Microsoft.ContainerService/managedClusters/commandResults/read'

/** What tests (and the lead's e2e checks) can see of every command the twin was asked to run. */
export interface CommandRun {
  id: string
  clusterId: string
  command: string
  /** The ARM caller's object id. */
  callerOid: string
  /** The Entra identity the pod's kubectl ran as (the clusterToken's oid), or `clusterAdmin` on local-account clusters. */
  runAs: string | undefined
  /** File names of the context. */
  files: string[]
  submittedAt: string
  startedAt?: string
  finishedAt?: string
  provisioningState: 'Creating' | 'Running' | 'Succeeded' | 'Failed'
  exitCode?: number
  reason?: string
  /** Bytes the command wrote, before the logs cap. */
  logBytes?: number
  /** The logs AKS keeps and answers to anyone with commandResults/read. */
  logs?: string
}

interface Operation {
  run: CommandRun
  cluster: Cluster
  body?: Record<string, unknown>
  timers: NodeJS.Timeout[]
  pod?: RunningPod
  network?: ClusterNetwork
  /** Resolves true when the pod started, false when it never will (what a sync POST waits for). */
  started: Promise<boolean>
  settleStart: (ok: boolean) => void
}

export interface RunCommandDeps extends ArmDeps {
  caPem: string
  openNetwork: OpenClusterNetwork
}

/** AKS writes times to the second (`2021-02-17T00:28:20Z`); CommandRun keeps milliseconds for tests. */
const armTime = (iso: string | undefined) => iso?.replace(/\.\d{3}Z$/, 'Z')
const now = () => new Date().toISOString()
const CLUSTER = String.raw`^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)`

/** AKS's text when the command pod does not start in time (azure-cli#27776; KubernetesOperationError before 2023). */
export const notStartedInTime = (id: string, deadlineMs: number) =>
  armError(
    400,
    'KubernetesPerformanceError',
    `Failed to run command due to cluster perf issue, container command-${id} in aks-command namespace did not start within ${deadlineMs / 1000}s on your cluster, retry may helps. If issue persist, you may need to tune your cluster with better performance (larger node/paid tier).`
  )

interface Parsed {
  command: string
  files: ZipEntry[]
  clusterToken?: string
}

/** The body as AKS accepts it; the wording of these 400s is the twin's. */
function parseBody(req: TwinRequest): Parsed | TwinResponse {
  let body: { command?: unknown; context?: unknown; clusterToken?: unknown }
  try {
    body = JSON.parse(req.body.toString('utf8') || '{}')
  } catch {
    return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
  }
  if (typeof body.command !== 'string' || !body.command.trim()) {
    return armError(400, 'InvalidParameter', "The value of parameter 'command' is invalid: a command is required.")
  }
  let files: ZipEntry[] = []
  if (body.context !== undefined && body.context !== null && body.context !== '') {
    // Python's base64.encodebytes (az aks command invoke) wraps lines: whitespace is allowed.
    if (typeof body.context !== 'string' || !/^[A-Za-z0-9+/=\s]*$/.test(body.context)) {
      return armError(400, 'InvalidParameter', "The value of parameter 'context' is invalid: it must be a base64 encoded zip file.")
    }
    try {
      files = readZip(Buffer.from(body.context, 'base64'))
    } catch (e) {
      if (!(e instanceof ZipError)) throw e
      return armError(400, 'InvalidParameter', `The value of parameter 'context' is invalid: ${e.message}.`)
    }
  }
  const clusterToken = typeof body.clusterToken === 'string' && body.clusterToken ? body.clusterToken : undefined
  return { command: body.command, files, clusterToken }
}

export function registerRunCommand(router: Router, deps: RunCommandDeps): { stop(): Promise<void> } {
  const { state } = deps
  const ops = new Map<string, Operation>()

  /** Publishes the final answer of the operation (what polls get from now on). */
  const finish = (op: Operation, patch: Partial<CommandRun>, logs = '') => {
    Object.assign(op.run, patch, { finishedAt: now(), logs })
    const r = op.run
    op.body = {
      id: r.id,
      properties:
        r.provisioningState === 'Succeeded'
          ? {
              provisioningState: 'Succeeded',
              exitCode: r.exitCode,
              startedAt: armTime(r.startedAt),
              finishedAt: armTime(r.finishedAt),
              logs
            }
          : { provisioningState: 'Failed', reason: r.reason }
    }
  }

  /** The pod is up: run the command in the cluster's network, then publish the result. */
  const launch = async (op: Operation, files: ZipEntry[], token: string | undefined) => {
    op.run.provisioningState = 'Running'
    op.run.startedAt = now()
    op.settleStart(true)
    try {
      op.network = await deps.openNetwork(op.cluster)
      op.pod = startCommandPod({
        id: op.run.id,
        cluster: op.cluster,
        command: op.run.command,
        files,
        token,
        caPem: deps.caPem,
        proxyUrl: op.network.url,
        logsCapBytes: state.runCommandLogsCapBytes,
        timeLimitMs: state.runCommandTimeLimitMs
      })
      const r = await op.pod.done
      if (r.timedOut) finish(op, { provisioningState: 'Failed', reason: 'DeadlineExceeded', logBytes: r.logBytes })
      else finish(op, { provisioningState: 'Succeeded', exitCode: r.exitCode ?? 137, logBytes: r.logBytes }, r.logs)
    } catch (e) {
      finish(op, { provisioningState: 'Failed', reason: `twin: ${(e as Error).message}` })
    } finally {
      await op.network?.close()
    }
  }

  router.on('POST', new RegExp(`${CLUSTER}\\/runCommand$`, 'i'), async (req, m): Promise<TwinResponse> => {
    const [, sub, rg, name] = m
    const clusterPath = req.path.replace(/\/runCommand$/i, '')
    const caller = subscriptionCaller(deps, req, sub)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, RUN_COMMAND_ACTION, clusterPath)
    if (denied) return denied
    if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
    const cluster = state.cluster(sub, rg, name)
    if (!cluster) return resourceNotFound('Microsoft.ContainerService/managedClusters', name, rg)
    if (cluster.disableRunCommand) {
      return armError(
        400,
        'OperationNotAllowed',
        `Run command is disabled for managed cluster '${cluster.name}': its apiServerAccessProfile.disableRunCommand is true.`
      )
    }
    const parsed = parseBody(req)
    if (isResponse(parsed)) return parsed

    // Entra ID clusters run the command as the caller (the clusterToken); local-account clusters as the admin.
    const token = cluster.aad ? parsed.clusterToken : cluster.kube.tokens.admin
    const claims = cluster.aad && token ? deps.entra.checkBearer(`Bearer ${token}`) : undefined
    const id = randomBytes(16).toString('hex')
    let settleStart!: (ok: boolean) => void
    const started = new Promise<boolean>((r) => {
      settleStart = r
    })
    const op: Operation = {
      cluster,
      timers: [],
      started,
      settleStart,
      run: {
        id,
        clusterId: cluster.id,
        command: parsed.command,
        callerOid: caller.oid,
        runAs: cluster.aad ? (claims?.ok ? String(claims.claims.oid ?? '') : undefined) : 'clusterAdmin',
        files: parsed.files.filter((f) => !f.dir).map((f) => f.name),
        submittedAt: now(),
        provisioningState: 'Creating'
      }
    }
    ops.set(id, op)
    state.commandRuns.push(op.run)

    const startMs = state.runCommandStartMs
    const deadlineMs = state.runCommandStartDeadlineMs
    const failure = state.runCommandStartFailure
    if (!failure && startMs <= deadlineMs) {
      op.timers.push(
        setTimeout(() => {
          void launch(op, parsed.files, token)
        }, startMs)
      )
    } else {
      op.timers.push(
        setTimeout(() => {
          finish(op, { provisioningState: 'Failed', reason: failure ?? 'ContainerCreating' })
          op.settleStart(false)
        }, deadlineMs)
      )
    }

    if (state.runCommandStartWait === 'sync' && !(await op.started)) return notStartedInTime(id, deadlineMs)
    const location = `${req.baseUrl}/subscriptions/${sub}/resourcegroups/${rg}/providers/Microsoft.ContainerService/managedClusters/${name}/commandResults/${id}?api-version=${encodeURIComponent(req.query['api-version'])}`
    return { status: 202, headers: { Location: location } }
  })

  router.on('GET', new RegExp(`${CLUSTER}\\/commandResults\\/([^/]+)$`, 'i'), (req, m): TwinResponse => {
    const [, sub, rg, name, id] = m
    const clusterPath = req.path.replace(/\/commandResults\/[^/]+$/i, '')
    const caller = subscriptionCaller(deps, req, sub)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, COMMAND_RESULTS_READ, clusterPath)
    if (denied) return denied
    if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
    const cluster = state.cluster(sub, rg, name)
    if (!cluster) return resourceNotFound('Microsoft.ContainerService/managedClusters', name, rg)
    const op = ops.get(id.toLowerCase())
    if (!op || op.cluster !== cluster)
      return armError(404, 'NotFound', `Command result '${id}' was not found for managed cluster '${cluster.name}'.`)
    if (op.body) return { status: 200, body: op.body }
    return {
      status: 202,
      headers: { Location: `${req.baseUrl}${req.path}?${new URLSearchParams(req.query).toString()}` },
      body: { id, properties: { provisioningState: 'Running' } }
    }
  })

  return {
    async stop() {
      const pending: Promise<unknown>[] = []
      for (const op of ops.values()) {
        for (const t of op.timers) clearTimeout(t)
        op.settleStart(false)
        op.pod?.kill()
        if (op.pod) pending.push(op.pod.done.catch(() => undefined))
        if (op.network) pending.push(op.network.close())
      }
      await Promise.all(pending)
    }
  }
}
