import * as core from '@actions/core'
import { ActionError } from '../azure/action-error.js'
import { AKS_SERVER_APP_SCOPE } from '../azure/cluster-credentials.js'
import type { Registry } from '../azure/registries.js'
import { applyObject, type Applied } from '../kube/apply.js'
import { KubeClient } from '../kube/kube-client.js'
import { describeObject, type KubeObject, type Manifest } from '../kube/kube-object.js'
import { parseKubeconfig } from '../kube/kubeconfig.js'
import { KUBECONFIG_STATE, writeKubeconfig } from '../kube/kubeconfig-file.js'
import { isWorkload } from '../kube/readiness.js'
import { ResourceMap } from '../kube/resources.js'
import { rollBackDeployment } from '../kube/rollback.js'
import { verifyRollouts, type Verdict, type Workload, type WorkloadState } from '../kube/verify-rollouts.js'
import { rewriteImages, type ImageRewrite } from '../plan/image-rewrite.js'
import { describeChange } from '../plan/object-diff.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { diagnosePod, type Diagnosis } from './diagnose-pod.js'
import { mapLimit } from './map-limit.js'
import { count, duration } from '../report/words.js'

export interface DeployRecord {
  applied: Applied[]
  rewrites: ImageRewrite[]
  workloads: WorkloadState[]
  verdict: Verdict | undefined
  diagnosis: Diagnosis | undefined
  rollbacks: string[]
  kubeconfigPath: string | undefined
}

export interface DeployContext {
  settings: Settings
  session: AzureSession
  manifests: Manifest[]
  kubeconfig: Promise<string>
  registry: Registry | undefined
  kubeletObjectId: string | undefined
  clusterName: string
  importedDigests: Map<string, string>
}

const APPLY_CONCURRENCY = 8

/** Namespaces and CRDs go first: everything else may live in them or be one of their kinds. */
function isFoundation(object: KubeObject): boolean {
  return (object.apiVersion === 'v1' && object.kind === 'Namespace') || object.kind === 'CustomResourceDefinition'
}

export async function deploy(context: DeployContext, record: DeployRecord): Promise<void> {
  const { settings, session } = context
  const access = parseKubeconfig(await context.kubeconfig)
  const bearer = access.needsEntraToken ? (await session.credential.getToken(AKS_SERVER_APP_SCOPE))?.token : undefined
  const client = new KubeClient(access, bearer)
  try {
    if (settings.deploy.kubeconfigOutput) {
      record.kubeconfigPath = await writeKubeconfig(access, bearer ?? access.token, context.clusterName, process.env.RUNNER_TEMP ?? '/tmp')
      core.saveState(KUBECONFIG_STATE, record.kubeconfigPath)
      core.exportVariable('KUBECONFIG', record.kubeconfigPath)
      core.info(`Wrote a kubeconfig for later steps to ${record.kubeconfigPath} (KUBECONFIG); the post step deletes it`)
    }
    const { objects, rewrites } = context.registry
      ? rewriteImages(context.manifests.map((m) => m.object), context.registry, settings.cloud.acrSuffix, context.importedDigests)
      : { objects: context.manifests.map((m) => m.object), rewrites: [] }
    record.rewrites = rewrites
    for (const rewrite of rewrites) core.info(`Image of ${rewrite.object} (${rewrite.container}): ${rewrite.from} → ${rewrite.to}`)

    const resources = new ResourceMap(client)
    const options = {
      forceConflicts: settings.deploy.forceConflicts,
      mutations: session.mutations,
      defaultNamespace: settings.deploy.namespace ?? 'default',
      namespacesToCreate: new Set<string>()
    }
    const foundation = objects.filter(isFoundation)
    if (settings.deploy.namespace && !foundation.some((o) => o.kind === 'Namespace' && o.metadata.name === settings.deploy.namespace)) {
      foundation.unshift({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: settings.deploy.namespace } })
    }
    await applyAll(client, resources, foundation, options, record)
    for (const applied of record.applied) if (applied.object.kind === 'Namespace' && applied.result === 'created') options.namespacesToCreate.add(applied.object.metadata.name)
    if (foundation.some((o) => o.kind === 'CustomResourceDefinition')) {
      if (!settings.dryRun) await waitForCrds(client, foundation.filter((o) => o.kind === 'CustomResourceDefinition'))
      resources.refresh()
    }
    await applyAll(client, resources, objects.filter((o) => !isFoundation(o)), options, record)
    if (settings.dryRun) {
      core.info(`Dry run: the API server validated ${record.applied.length} object(s) and stored nothing`)
      return
    }

    const workloads: Workload[] = record.applied
      .filter((a) => isWorkload(a.object.kind))
      .map((a) => ({ kind: a.object.kind as Workload['kind'], namespace: a.namespace ?? 'default', name: a.object.metadata.name, type: a.type }))
    if (workloads.length === 0) return
    core.info(`Waiting up to ${duration(settings.deploy.timeoutMs)} for ${count(workloads.length, 'workload')} to roll out`)
    const states = new Map<string, WorkloadState>()
    const verdict = await verifyRollouts(client, workloads, Date.now() + settings.deploy.timeoutMs, states)
    record.workloads = [...states.values()]
    record.verdict = verdict
    if (verdict.outcome === 'ready') return

    if (verdict.outcome === 'pod-problem') {
      record.diagnosis = await diagnosePod(verdict.problem, { client, ...context })
    }
    if (settings.deploy.rollbackOnFailure) {
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
    throw rolloutFailure(verdict, record.diagnosis)
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

async function waitForCrds(client: KubeClient, crds: KubeObject[]): Promise<void> {
  const deadline = Date.now() + 60_000
  for (const crd of crds) {
    for (;;) {
      const response = await client.request<Record<string, any>>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}`)
      const established = (response.body?.status?.conditions ?? []).some((c: { type?: string; status?: string }) => c.type === 'Established' && c.status === 'True')
      if (established) break
      if (Date.now() > deadline) throw new ActionError(`CustomResourceDefinition ${crd.metadata.name} was not established within 60 s`)
      await new Promise((r) => setTimeout(r, 500))
    }
  }
}

function rolloutFailure(verdict: Verdict, diagnosis: Diagnosis | undefined): ActionError {
  switch (verdict.outcome) {
    case 'pod-problem':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed fast`, {
        code: verdict.problem.reason,
        detail: `${diagnosis?.cause ?? verdict.problem.message}${diagnosis?.events.length ? `\nEvents of pod ${verdict.problem.pod}:\n  ${diagnosis.events.join('\n  ')}` : ''}`
      })
    case 'failed':
      return new ActionError(`Rollout of ${verdict.workload.workload.kind.toLowerCase()}/${verdict.workload.workload.name} failed`, { detail: verdict.message })
    case 'timeout':
      return new ActionError(`Rollout not complete within the timeout`, {
        detail: verdict.pending.map((s) => `${s.workload.kind.toLowerCase()}/${s.workload.name}: ${s.readiness?.message ?? 'not observed yet'}`).join('; '),
        hint: "Raise 'timeout' if the workloads are just slow"
      })
    case 'error':
      return new ActionError('Could not watch the rollout', { detail: verdict.message })
    case 'ready':
      return new ActionError('unreachable')
  }
}
