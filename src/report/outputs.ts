import { changed } from '../steps/apply-plan.js'
import { deployedWorkloads, deployReady } from './deploy-outputs.js'
import { importedImages } from './import-outputs.js'
import type { RunRecord } from './run-record.js'

export type Outputs = Record<
  | 'registry-id'
  | 'login-server'
  | 'kubelet-object-id'
  | 'role-assignment-id'
  | 'role'
  | 'images'
  | 'deployed'
  | 'ready'
  | 'kubeconfig'
  | 'can-pull'
  | 'reasons'
  | 'changed',
  string
>

/** Pure: the step outputs of a run, set even when it failed part-way so later steps can inspect it. */
export function buildOutputs(record: RunRecord): Outputs {
  const attach = record.steps.find((step) => step.mode === 'attach')
  const attached = attach?.results.find((result) => result.assignmentId !== undefined)
  const images = importedImages(record)
  const assignmentsChanged = record.steps.some((step) => step.results.some((result) => changed(result.outcome)))
  return {
    'registry-id': record.discovery.registry?.id ?? '',
    'login-server': record.discovery.registry?.loginServer ?? '',
    'kubelet-object-id': record.discovery.kubeletObjectId ?? '',
    'role-assignment-id': attached?.assignmentId ?? '',
    role: attached ? (record.plan?.role.name ?? '') : '',
    deployed: JSON.stringify(deployedWorkloads(record)),
    ready: String(deployReady(record)),
    kubeconfig: record.deploy?.kubeconfigPath ?? '',
    'can-pull': record.check.verdict ? String(record.check.verdict.canPull) : '',
    reasons: JSON.stringify(record.check.verdict?.reasons ?? []),
    images: JSON.stringify(images.map(({ source, target, digest, changed: imported }) => ({ source, target, digest, changed: imported }))),
    changed: String(assignmentsChanged || images.some((image) => image.changed) || deployChanged(record))
  }
}

/** A deploy changes the cluster unless it was a dry run or nothing got applied. */
function deployChanged(record: RunRecord): boolean {
  return Boolean(record.deploy && !record.settings?.dryRun && record.deploy.applied.length > 0)
}
