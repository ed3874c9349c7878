import { describeChange } from '../kube/object-diff.js'
import { escape } from './markdown.js'
import type { OutputPart } from './outputs.js'
import type { RunRecord } from './run-record.js'

export interface DeployedWorkload {
  kind: string
  namespace: string
  name: string
  ready: boolean
  replicas: { ready: number; desired: number }
}

/** Pure: every workload the run applied and verified, with its replica counts. */
export function deployedWorkloads(record: RunRecord): DeployedWorkload[] {
  const deploy = record.results.deploy
  if (!deploy) return []
  return deploy.workloads.map((state) => ({
    kind: state.workload.kind,
    namespace: state.workload.namespace,
    name: state.workload.name,
    ready: state.readiness?.state === 'ready',
    replicas: { ready: state.readiness?.ready ?? 0, desired: state.readiness?.desired ?? 0 }
  }))
}

/** `ready` is true only when a deploy ran, was not a dry run, and every workload rolled out. */
export function deployReady(record: RunRecord): boolean {
  const deploy = record.results.deploy
  if (!deploy || record.settings?.dryRun) return false
  return deploy.verdict === undefined ? deploy.applied.length > 0 && !record.error : deploy.verdict.outcome === 'ready'
}

/** deploy: the workloads, whether all rolled out, the kubeconfig written for later steps. */
export const deployOutputs: OutputPart = {
  outputs: (record) => ({
    deployed: JSON.stringify(deployedWorkloads(record)),
    ready: String(deployReady(record)),
    kubeconfig: record.results.deploy?.kubeconfigPath ?? ''
  }),
  // A deploy changes the cluster unless it was a dry run or nothing got applied.
  changed: (record) => Boolean(record.results.deploy && !record.settings?.dryRun && record.results.deploy.applied.length > 0)
}

/** Pure: what was applied (or would change, in a dry run), every workload's rollout, and why it failed. */
export function deploySection(record: RunRecord): string[] {
  const deploy = record.results.deploy
  if (!deploy) return []
  const dryRun = record.settings?.dryRun
  const lines = [`### Deploy${dryRun ? ' (server dry run: nothing stored)' : ''}`, '']
  if (deploy.access) {
    const how =
      deploy.access.transport === 'direct'
        ? 'directly, to its API server'
        : `through the AKS run-command API${deploy.access.commands !== undefined ? ` (${deploy.access.commands} command pods)` : ''}`
    lines.push(`Reached the cluster ${how}: ${escape(deploy.access.why)}.`, '')
  }
  if (deploy.applied.length > 0 && dryRun) {
    lines.push('| Object | Would |', '|---|---|')
    for (const a of deploy.applied) {
      const would =
        a.result === 'created'
          ? 'be created'
          : a.changes === undefined
            ? `be applied (${escape(a.note ?? 'changes not compared')})`
            : a.changes.length
              ? `change ${a.changes.map((c) => `\`${escape(describeChange(c))}\``).join('<br>')}`
              : 'stay unchanged'
      lines.push(`| \`${a.object.kind}/${a.object.metadata.name}\`${a.namespace ? ` in \`${a.namespace}\`` : ''} | ${would} |`)
    }
    lines.push('')
  } else if (deploy.applied.length > 0) {
    const objects = deploy.applied.map(
      (a) => `\`${a.object.kind}/${a.object.metadata.name}\`${a.namespace ? ` in \`${a.namespace}\`` : ''} ${a.result}`
    )
    lines.push(`Applied with server-side apply: ${objects.join(', ')}`, '')
  }
  if (deploy.workloads.length > 0) {
    lines.push('| Workload | Namespace | Ready | Pods | Status |', '|---|---|---|---|---|')
    for (const state of deploy.workloads) {
      const pods = [...state.pods.entries()].map(([name, phase]) => `${escape(name)}: ${escape(phase)}`).join('<br>')
      const icon = state.readiness?.state === 'ready' ? '✅' : state.readiness?.state === 'failed' ? '❌' : '⏳'
      lines.push(
        `| ${state.workload.kind}/${escape(state.workload.name)} | ${escape(state.workload.namespace)} | ${icon} ${state.readiness?.ready ?? 0}/${state.readiness?.desired ?? '?'} | ${pods} | ${escape(state.readiness?.message ?? 'not observed')} |`
      )
    }
    lines.push('')
  }
  if (deploy.rewrites.length > 0) {
    lines.push(
      '<details><summary>Images pointed at the registry</summary>',
      '',
      ...deploy.rewrites.map((r) => `- ${escape(r.object)} (${escape(r.container)}): \`${r.from}\` → \`${r.to}\``),
      '',
      '</details>',
      ''
    )
  }
  if (deploy.waits.length > 0) lines.push('#### Waited for Azure', '', ...deploy.waits.map((wait) => `- ${escape(wait.cause)}`), '')
  if (deploy.diagnosis) {
    lines.push(
      deploy.diagnosis.verdict === 'unknown' ? '#### Diagnosis (cause unknown)' : '#### Diagnosis',
      '',
      escape(deploy.diagnosis.cause),
      ''
    )
    if (deploy.diagnosis.events.length) lines.push('```text', ...deploy.diagnosis.events, '```', '')
  }
  if (deploy.rollbacks.length > 0) lines.push('#### Rollback', '', ...deploy.rollbacks.map((line) => `- ${escape(line)}`), '')
  return lines
}
