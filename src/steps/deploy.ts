import * as core from '@actions/core'
import { ActionError } from '../errors.js'
import type { ApiServerAccess } from '../azure/clusters.js'
import type { Registry } from '../azure/registries.js'
import { applyObject, type Applied } from '../kube/apply.js'
import type { KubeClient } from '../kube/kube-client.js'
import { describeObject, type KubeObject } from '../kube/kube-object.js'
import { KUBECONFIG_STATE, writeKubeconfig } from '../kube/kubeconfig-file.js'
import { isWorkload } from '../kube/readiness.js'
import { ResourceMap } from '../kube/resources.js'
import { rollBackDeployment } from '../kube/rollback.js'
import { problemKind, type PodProblem } from '../kube/pod-problems.js'
import { verifyRollouts, type Verdict, type Workload, type WorkloadState } from '../kube/verify-rollouts.js'
import type { DeployPlan, ImageRewrite } from '../plan/deploy.js'
import { describeChange } from '../kube/object-diff.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { connectToCluster } from './cluster-connection.js'
import { describeGrant } from '../azure/kubelet-access.js'
import { diagnosePod, type Diagnosis } from './diagnose-pod.js'
import { mapLimit } from './map-limit.js'
import { count, duration } from '../words.js'

export interface DeployRecord {
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
  kubeconfig: Promise<string>
  registry: Registry | undefined
  kubeletObjectId: string | undefined
  cluster: { name: string; apiServer: ApiServerAccess | undefined }
  /** IDs (lower case) of the role assignments this run created. */
  createdThisRun: ReadonlySet<string>
}

export function emptyDeployRecord(): DeployRecord {
  return { applied: [], rewrites: [], workloads: [], verdict: undefined, diagnosis: undefined, waits: [], rollbacks: [], kubeconfigPath: undefined }
}

/** Rolling back after a failed rollout gets this long, even when the deadline has passed. */
const ROLLBACK_MS = 30_000

const APPLY_CONCURRENCY = 8

/**
 * Applies the manifests, then verifies every rollout, all within one deadline (`timeout`), which
 * the apply, the watches and the diagnosis of a stuck pod share.
 */
export async function deploy(plan: DeployPlan, context: DeployContext, record: DeployRecord): Promise<void> {
  const { settings, session } = context
  const deadline = Date.now() + settings.timeoutMs
  const connection = await connectToCluster(session, context.kubeconfig, context.cluster)
  const { client } = connection
  client.deadline = deadline
  try {
    if (settings.deploy.kubeconfigOutput) {
      record.kubeconfigPath = await writeKubeconfig(connection.access, await connection.currentToken(), context.cluster.name, process.env.RUNNER_TEMP ?? '/tmp')
      core.saveState(KUBECONFIG_STATE, record.kubeconfigPath)
      core.exportVariable('KUBECONFIG', record.kubeconfigPath)
      core.info(`Wrote a kubeconfig for later steps to ${record.kubeconfigPath} (KUBECONFIG); the post step deletes it`)
    }
    record.rewrites = plan.rewrites
    for (const rewrite of plan.rewrites) core.info(`Image of ${rewrite.object} (${rewrite.container}): ${rewrite.from} → ${rewrite.to}`)

    const resources = new ResourceMap(client)
    const options = {
      forceConflicts: settings.deploy.forceConflicts,
      mutations: session.mutations,
      defaultNamespace: settings.deploy.namespace ?? 'default',
      namespacesToCreate: new Set<string>()
    }
    await applyAll(client, resources, plan.foundation, options, record)
    for (const applied of record.applied) if (applied.object.kind === 'Namespace' && applied.result === 'created') options.namespacesToCreate.add(applied.object.metadata.name)
    const crds = plan.foundation.filter((o) => o.kind === 'CustomResourceDefinition')
    if (crds.length > 0) {
      if (!settings.dryRun) await waitForCrds(client, crds, deadline)
      resources.refresh()
    }
    await applyAll(client, resources, plan.objects, options, record)
    if (settings.dryRun) {
      core.info(`Dry run: the API server validated ${record.applied.length} object(s) and stored nothing`)
      return
    }

    const workloads: Workload[] = record.applied
      .filter((a) => isWorkload(a.object.kind))
      .map((a) => ({ kind: a.object.kind as Workload['kind'], namespace: a.namespace ?? 'default', name: a.object.metadata.name, type: a.type }))
    if (workloads.length === 0) return
    core.info(`Waiting up to ${duration(deadline - Date.now())} for ${count(workloads.length, 'workload')} to roll out`)
    const states = new Map<string, WorkloadState>()
    const diagnoses = new Map<string, Diagnosis>()
    const judge = async (problem: PodProblem): Promise<'fail' | 'wait'> => {
      const diagnosis = await diagnosePod(problem, { client, session, registry: context.registry, kubeletObjectId: context.kubeletObjectId, clusterName: context.cluster.name, createdThisRun: context.createdThisRun })
      diagnoses.set(problemKind(problem), diagnosis)
      if (diagnosis.verdict !== 'transient') return 'fail'
      record.waits.push(diagnosis)
      core.info(`Waiting: ${diagnosis.cause}`)
      return 'wait'
    }
    const verdict = await verifyRollouts(client, workloads, deadline, states, judge)
    record.workloads = [...states.values()]
    record.verdict = verdict
    if (verdict.outcome === 'ready') return

    if (verdict.outcome === 'pod-problem') record.diagnosis = diagnoses.get(problemKind(verdict.problem))
    if (settings.deploy.rollbackOnFailure) {
      client.deadline = Date.now() + ROLLBACK_MS
      const failing = record.workloads.filter((s) => s.readiness?.state !== 'ready')
      for (const state of failing) {
        if (state.workload.kind !== 'Deployment') {
          record.rollbacks.push(`${state.workload.kind.toLowerCase()}/${state.workload.name}: not rolled back (only Deployments keep previous revisions this action can restore)`)
          continue
        }
        record.rollbacks.push(await rollBackDeployment(client, session.mutations, state.workload.namespace, state.workload.name))
      }
      for (const line of record.rollbacks) core.warning(`Rollback: ${line}`)
    }
    throw rolloutFailure(verdict, record.diagnosis, record.waits, settings.timeoutMs)
  } finally {
    client.close()
  }
}

async function applyAll(client: KubeClient, resources: ResourceMap, objects: KubeObject[], options: Parameters<typeof applyObject>[3], record: DeployRecord): Promise<void> {
  const failures: Error[] = []
  await mapLimit(objects, APPLY_CONCURRENCY, async (object) => {
    try {
      const applied = await applyObject(client, resources, object, options)
      record.applied.push(applied)
      const name = describeObject({ kind: object.kind, metadata: { ...object.metadata, namespace: applied.namespace } })
      if (!options.mutations.dryRun) core.info(`${name} ${applied.result}`)
      else if (applied.result === 'created') core.info(`${name} would be created (${applied.note ?? 'server dry run'})`)
      else if (applied.changes?.length) core.info(`${name} would change (server dry run):\n  ${applied.changes.map(describeChange).join('\n  ')}`)
      else core.info(`${name} unchanged (server dry run)`)
    } catch (error) {
      failures.push(error as Error)
    }
  })
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) throw new ActionError(`${failures.length} objects could not be applied`, { detail: failures.map((f) => f.message).join(' | ') })
}

async function waitForCrds(client: KubeClient, crds: KubeObject[], deadline: number): Promise<void> {
  for (const crd of crds) {
    for (;;) {
      const response = await client.request<Record<string, any>>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)
      const established = (response.body?.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Established' && c.status === 'True')
      if (established) break
      if (Date.now() > deadline) throw new ActionError(`CustomResourceDefinition ${crd.metadata.name} was not established before the timeout`, { hint: "Raise 'timeout'" })
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

function rolloutFailure(verdict: Verdict, diagnosis: Diagnosis | undefined, waits: Diagnosis[], timeoutMs: number): ActionError {
  switch (verdict.outcome) {
    case 'pod-problem':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed fast`, {
        code: verdict.problem.reason,
        detail: `${diagnosis?.cause ?? verdict.problem.message}${diagnosis?.events.length ? `\nEvents of pod ${verdict.problem.pod}:\n  ${diagnosis.events.join('\n  ')}` : ''}`
      })
    case 'failed':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed`, { detail: verdict.message })
    case 'timeout': {
      const pending = verdict.pending.map((s) => `${s.workload.kind.toLowerCase()}/${s.workload.name}: ${s.readiness?.message ?? 'not observed yet'}`).join('; ')
      const grant = waits.find((wait) => wait.pending)?.pending
      if (grant) {
        return new ActionError(`Rollout not complete within the timeout (${duration(timeoutMs)})`, {
          code: 'RbacPropagation',
          detail: `${pending}. Pods still cannot pull from ${grant.registry}: the ${describeGrant(grant)} is not honoured by the registry yet (Azure RBAC propagation can take up to about 10 minutes, rarely longer)`,
          hint: "Re-run the job in a few minutes, or raise 'timeout'"
        })
      }
      return new ActionError(`Rollout not complete within the timeout (${duration(timeoutMs)})`, { detail: pending, hint: "Raise 'timeout' if the workloads are just slow" })
    }
    case 'error':
      return new ActionError('Could not watch the rollout', { detail: verdict.message })
    case 'ready':
      return new ActionError('unreachable')
  }
}
