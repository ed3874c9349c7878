import * as core from '@actions/core'
import { ActionError } from '../errors.js'
import type { Registry } from '../azure/registries.js'
import type { Applied } from '../kube/apply.js'
import type { Transport } from '../kube/cluster-api.js'
import { describeObject } from '../kube/kube-object.js'
import { KUBECONFIG_STATE, writeKubeconfig } from '../kube/kubeconfig-file.js'
import { isWorkload } from '../kube/readiness.js'
import { builtInType } from '../kube/resources.js'
import { RunCommandCluster } from '../kube/run-command-cluster.js'
import { problemKind, type PodProblem } from '../kube/pod-problems.js'
import { verifyRollouts, type Verdict, type Workload, type WorkloadState } from '../kube/verify-rollouts.js'
import type { DeployPlan, ImageRewrite } from '../plan/deploy.js'
import { describeChange } from '../kube/object-diff.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { connectToCluster, type ClusterConnection, type ConnectionContext } from './cluster-connection.js'
import { describeGrant } from '../azure/kubelet-access.js'
import { diagnosePod, type Diagnosis } from './diagnose-pod.js'
import { count, duration } from '../words.js'

export interface DeployRecord {
  /** How the run reached the cluster, and why. */
  access: { transport: Transport; why: string; commands: number | undefined } | undefined
  applied: Applied[]
  rewrites: ImageRewrite[]
  workloads: WorkloadState[]
  verdict: Verdict | undefined
  diagnosis: Diagnosis | undefined
  /** Stuck pods that were waited on rather than failed (a pull grant still propagating). */
  waits: Diagnosis[]
  rollbacks: string[]
  kubeconfigPath: string | undefined
}

export interface DeployContext {
  settings: Settings
  session: AzureSession
  kubeconfig: Promise<string> | undefined
  registry: Registry | undefined
  kubeletObjectId: string | undefined
  cluster: ConnectionContext['cluster']
  /** IDs (lower case) of the role assignments this run created. */
  createdThisRun: ReadonlySet<string>
}

export function emptyDeployRecord(): DeployRecord {
  return {
    access: undefined,
    applied: [],
    rewrites: [],
    workloads: [],
    verdict: undefined,
    diagnosis: undefined,
    waits: [],
    rollbacks: [],
    kubeconfigPath: undefined
  }
}

/**
 * Rolling back after a failed rollout gets this long, even when the deadline has passed: through
 * run command, AKS holds each command until its pod has started (docs/azure.md, "Run command").
 */
const ROLLBACK_MS = { direct: 30_000, 'run-command': 120_000 } as const

/**
 * Applies the manifests, then verifies every rollout, all within one deadline (`timeout`), which
 * the apply, the rollouts and the diagnosis of a stuck pod share.
 */
export async function deploy(plan: DeployPlan, context: DeployContext, record: DeployRecord): Promise<void> {
  const { settings, session } = context
  const deadline = Date.now() + settings.timeoutMs
  const connection = await connectToCluster({
    session,
    access: settings.clusterAccess,
    kubeconfig: context.kubeconfig,
    cluster: context.cluster
  })
  const { cluster } = connection
  record.access = { transport: cluster.transport, why: connection.why, commands: undefined }
  cluster.deadline = deadline
  try {
    if (settings.deploy.kubeconfigOutput) await writeKubeconfigForLaterSteps(connection, context.cluster.name, record)
    record.rewrites = plan.rewrites
    for (const rewrite of plan.rewrites) core.info(`Image of ${rewrite.object} (${rewrite.container}): ${rewrite.from} → ${rewrite.to}`)

    const dryRun = session.mutations.dryRun
    // Pods read their image pull secrets when they start, so the secrets are a stage before the workloads.
    await cluster.apply([plan.foundation, plan.secrets, plan.objects], {
      forceConflicts: settings.deploy.forceConflicts,
      mutations: session.mutations,
      defaultNamespace: settings.deploy.namespace ?? 'default',
      namespacesToCreate: new Set<string>(),
      onApplied(applied) {
        record.applied.push(applied)
        const name = describeObject({ kind: applied.object.kind, metadata: { ...applied.object.metadata, namespace: applied.namespace } })
        if (!dryRun) core.info(`${name} ${applied.result}`)
        else if (applied.result === 'created') core.info(`${name} would be created (${applied.note ?? 'server dry run'})`)
        else if (applied.changes?.length)
          core.info(`${name} would change (server dry run):\n  ${applied.changes.map(describeChange).join('\n  ')}`)
        else if (applied.changes === undefined)
          core.info(`${name} validated (server dry run); ${applied.note ?? 'its changes were not compared'}`)
        else core.info(`${name} unchanged (server dry run)`)
      }
    })
    if (dryRun) {
      core.info(`Dry run: the API server validated ${record.applied.length} object(s) and stored nothing`)
      return
    }

    const workloads: Workload[] = record.applied.flatMap((a) => {
      const type = builtInType(a.object.apiVersion, a.object.kind)
      if (!isWorkload(a.object.kind) || !type) return []
      return [
        { kind: a.object.kind, namespace: a.namespace ?? 'default', name: a.object.metadata.name, type, selector: a.live.spec?.selector }
      ]
    })
    if (workloads.length === 0) return
    core.info(`Waiting up to ${duration(deadline - Date.now())} for ${count(workloads.length, 'workload')} to roll out`)
    const states = new Map<string, WorkloadState>()
    const diagnoses = new Map<string, Diagnosis>()
    const judge = async (problem: PodProblem): Promise<'fail' | 'wait'> => {
      const diagnosis = await diagnosePod(problem, {
        cluster,
        session,
        registry: context.registry,
        kubeletObjectId: context.kubeletObjectId,
        clusterName: context.cluster.name,
        createdThisRun: context.createdThisRun
      })
      diagnoses.set(problemKind(problem), diagnosis)
      if (diagnosis.verdict !== 'transient') return 'fail'
      record.waits.push(diagnosis)
      core.info(`Waiting: ${diagnosis.cause}`)
      return 'wait'
    }
    const verdict = await verifyRollouts(cluster, workloads, deadline, states, judge)
    record.workloads = [...states.values()]
    record.verdict = verdict
    if (verdict.outcome === 'ready') return

    if (verdict.outcome === 'pod-problem') record.diagnosis = diagnoses.get(problemKind(verdict.problem))
    if (settings.deploy.rollbackOnFailure) {
      cluster.deadline = Date.now() + ROLLBACK_MS[cluster.transport]
      const failing = record.workloads.filter((s) => s.readiness?.state !== 'ready')
      for (const state of failing) {
        const { kind, namespace, name } = state.workload
        if (kind !== 'Deployment') {
          record.rollbacks.push(
            `${kind.toLowerCase()}/${name}: not rolled back (only Deployments keep previous revisions this action can restore)`
          )
          continue
        }
        // A rollback that fails is reported beside the rollout's failure, never instead of it.
        record.rollbacks.push(
          await cluster
            .rollBack(namespace, name)
            .catch(
              (error: unknown) =>
                `deployment/${name}: rollback failed (${error instanceof Error ? error.message : String(error)}); run kubectl rollout undo deployment/${name} -n ${namespace}`
            )
        )
      }
      for (const line of record.rollbacks) core.warning(`Rollback: ${line}`)
    }
    throw rolloutFailure(verdict, record.diagnosis, record.waits, settings.timeoutMs)
  } finally {
    if (cluster instanceof RunCommandCluster) {
      record.access.commands = cluster.commands
      core.info(`Used ${count(cluster.commands, 'command pod')} of the AKS run-command API`)
    }
    cluster.close()
  }
}

/** Only a runner that reaches the API server can use a kubeconfig; through run command there is none to give. */
async function writeKubeconfigForLaterSteps(connection: ClusterConnection, clusterName: string, record: DeployRecord): Promise<void> {
  if (!connection.credentials) {
    core.warning(
      "No kubeconfig written for later steps ('kubeconfig-output'): the runner cannot reach the API server, so the action goes through run command"
    )
    return
  }
  record.kubeconfigPath = await writeKubeconfig(
    connection.credentials,
    await connection.currentToken(),
    clusterName,
    process.env.RUNNER_TEMP ?? '/tmp'
  )
  core.saveState(KUBECONFIG_STATE, record.kubeconfigPath)
  core.exportVariable('KUBECONFIG', record.kubeconfigPath)
  core.info(`Wrote a kubeconfig for later steps to ${record.kubeconfigPath} (KUBECONFIG); the post step deletes it`)
}

function rolloutFailure(verdict: Verdict, diagnosis: Diagnosis | undefined, waits: Diagnosis[], timeoutMs: number): ActionError {
  switch (verdict.outcome) {
    case 'pod-problem':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed fast`, {
        code: verdict.problem.reason,
        detail: `${diagnosis?.cause ?? verdict.problem.message}${diagnosis?.events.length ? `\nEvents of pod ${verdict.problem.pod}:\n  ${diagnosis.events.join('\n  ')}` : ''}`
      })
    case 'failed':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed`, {
        detail: verdict.message
      })
    case 'timeout': {
      const pending = verdict.pending
        .map((s) => `${s.workload.kind.toLowerCase()}/${s.workload.name}: ${s.readiness?.message ?? 'not observed yet'}`)
        .join('; ')
      const grant = waits.find((wait) => wait.pending)?.pending
      if (grant) {
        return new ActionError(`Rollout not complete within the timeout (${duration(timeoutMs)})`, {
          code: 'RbacPropagation',
          detail: `${pending}. Pods still cannot pull from ${grant.registry}: the ${describeGrant(grant)} is not honoured by the registry yet (Azure RBAC propagation can take up to about 10 minutes, rarely longer)`,
          hint: "Re-run the job in a few minutes, or raise 'timeout'"
        })
      }
      return new ActionError(`Rollout not complete within the timeout (${duration(timeoutMs)})`, {
        detail: pending,
        hint: "Raise 'timeout' if the workloads are just slow"
      })
    }
    case 'error':
      return new ActionError('Could not watch the rollout', { detail: verdict.message })
    case 'ready':
      return new ActionError('unreachable')
  }
}
