import type { ChangeResult } from '../steps/apply-plan.js'
import { deployedWorkloads } from './deploy-outputs.js'
import { describeChange } from '../plan/object-diff.js'
import { importedImages, type ImportedImage } from './import-outputs.js'
import { portalLink } from './portal-links.js'
import { permissionsModeName } from './words.js'
import type { RunRecord } from './run-record.js'

const OUTCOME_TEXT: Record<ChangeResult['outcome'], string> = {
  created: '✅ created',
  'already-exists': '➖ already existed (created concurrently)',
  kept: '➖ unchanged, already existed',
  deleted: '🗑️ deleted',
  'already-gone': '➖ already gone',
  'would-create': '🔍 would create (dry run)',
  'would-delete': '🔍 would delete (dry run)'
}

/** Pure: the job summary in Markdown. Names and IDs only; no token ever reaches the record. */
export function buildSummary(record: RunRecord): string {
  const { settings, discovery, plan } = record
  const lines: string[] = []
  const modes = settings?.modes.join(', ') ?? 'not started'
  lines.push(`## AKS and ACR: ${modes} ${record.error ? '❌ failed' : '✅ done'}`, '')

  if (settings) {
    const link = (id: string, label: string, blade = '') => `[${escape(label)}](${portalLink(settings.cloud, settings.signIn.tenantId, id, blade)})`
    lines.push('| | |', '|---|---|')
    const cluster = discovery.cluster
    lines.push(
      ...(cluster
        ? [`| Cluster | ${link(cluster.id, cluster.name)} in ${escape(cluster.resourceGroup)} (${cluster.location}) |`]
        : settings.cluster
          ? [`| Cluster | ${escape(settings.cluster.name)} (not read) |`]
          : [])
    )
    if (cluster) {
      const kind = cluster.kubelet.kind === 'managed-identity' ? 'managed identity' : `service principal ${cluster.kubelet.clientId}`
      lines.push(`| Kubelet identity | ${kind}, object ID \`${discovery.kubeletObjectId ?? 'unresolved'}\` |`)
    }
    const registry = discovery.registry
    if (registry) {
      lines.push(`| Registry | ${link(registry.id, registry.name)} \`${registry.loginServer}\`, ${permissionsModeName(registry.permissionsMode)} |`)
      // The pull role is news only where attach or check looked at it.
      if (plan && settings.modes.some((mode) => mode === 'attach' || mode === 'check')) lines.push(`| Pull role | ${plan.role.name}${settings.repositories.length ? `, limited to ${settings.repositories.map((r) => `\`${r}\``).join(', ')}` : ''} |`)
    }
    lines.push(`| Signed in as | client \`${settings.signIn.clientId}\` in tenant \`${settings.signIn.tenantId}\` (${settings.cloud.name}) |`, '')

    if (record.steps.length > 0) {
      lines.push('### Changes', '', '| Step | Role assignment | Scope | Result |', '|---|---|---|---|')
      for (const step of record.steps) {
        for (const result of step.results) {
          const { change } = result
          const role = change.kind === 'create-assignment' ? change.request.roleName : change.roleName
          const scope = change.kind === 'create-assignment' ? change.request.scope : change.assignment.scope
          const id = result.assignmentId ?? (change.kind === 'create-assignment' ? undefined : change.assignment.id)
          const name = id ? `\`${id.split('/').pop()}\`` : ''
          lines.push(`| ${step.mode} | ${role} ${name} | ${registry && scope.toLowerCase() === registry.id.toLowerCase() ? link(registry.id, registry.name, 'users') : escape(scope)} | ${OUTCOME_TEXT[result.outcome]} |`)
        }
        if (step.results.length === 0) lines.push(`| ${step.mode} | none for the kubelet identity | | ➖ nothing to remove |`)
      }
      lines.push('')
    }
    lines.push(...checkSection(record))
    lines.push(...importTable(record))
    lines.push(...deploySection(record))
    const notes = plan?.steps.flatMap((step) => step.notes) ?? []
    if (notes.length > 0) lines.push('### Notes', '', ...notes.map((note) => `- ${escape(note)}`), '')
  }

  // A diagnosis above already explains a failed rollout; the error block then only names what failed.
  if (record.error) {
    const message = record.deploy?.diagnosis ? record.error.message.split('\n')[0]! : record.error.message
    lines.push('### Error', '', '```text', message, '```', '')
  }
  return lines.join('\n')
}

const IMPORT_RESULT: Record<ImportedImage['result'], string> = {
  imported: '✅ imported',
  planned: '🔍 would import (dry run)',
  'up-to-date': '➖ unchanged, same digest',
  refused: '❌ refused',
  failed: '❌ failed',
  'not-run': '⏸️ not run'
}

function importTable(record: RunRecord): string[] {
  const images = importedImages(record)
  if (images.length === 0) return []
  const rows = images.map(
    (image) => `| \`${image.source}\` | \`${image.target}\` | ${image.digest ? `\`${image.digest.slice(0, 19)}…\`` : ''} | ${IMPORT_RESULT[image.result]} |`
  )
  const failures = (record.imports.results ?? []).filter((result) => result.error).map((result) => `- ${escape(result.error!)}`)
  return ['### Images', '', '| Source | Target | Digest | Result |', '|---|---|---|---|', ...rows, '', ...(failures.length ? [...failures, ''] : [])]
}

function checkSection(record: RunRecord): string[] {
  const verdict = record.check.verdict
  if (!verdict) return []
  const mark = (ok: boolean | 'unknown') => (ok === true ? '✅' : ok === false ? '❌' : '❔')
  return [
    `### Can the cluster pull? ${verdict.canPull ? '✅ yes' : '❌ no'}`,
    '',
    '| Check | | Finding |',
    '|---|---|---|',
    ...verdict.reasons.map((reason) => `| ${reason.check} | ${mark(reason.ok)} | ${escape(reason.detail)} |`),
    ''
  ]
}

function deploySection(record: RunRecord): string[] {
  const deploy = record.deploy
  if (!deploy) return []
  const dryRun = record.settings?.dryRun
  const lines = [`### Deploy${dryRun ? ' (server dry run: nothing stored)' : ''}`, '']
  if (deploy.applied.length > 0 && dryRun) {
    lines.push('| Object | Would |', '|---|---|')
    for (const a of deploy.applied) {
      const would = a.result === 'created' ? 'be created' : a.changes?.length ? `change ${a.changes.map((c) => `\`${escape(describeChange(c))}\``).join('<br>')}` : 'stay unchanged'
      lines.push(`| \`${a.object.kind}/${a.object.metadata.name}\`${a.namespace ? ` in \`${a.namespace}\`` : ''} | ${would} |`)
    }
    lines.push('')
  } else if (deploy.applied.length > 0) {
    const objects = deploy.applied.map((a) => `\`${a.object.kind}/${a.object.metadata.name}\`${a.namespace ? ` in \`${a.namespace}\`` : ''} ${a.result}`)
    lines.push(`Applied with server-side apply: ${objects.join(', ')}`, '')
  }
  const workloads = deployedWorkloads(record)
  if (workloads.length > 0) {
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
    lines.push('<details><summary>Images pointed at the registry</summary>', '', ...deploy.rewrites.map((r) => `- ${escape(r.object)} (${escape(r.container)}): \`${r.from}\` → \`${r.to}\``), '', '</details>', '')
  }
  if (deploy.waits.length > 0) {
    lines.push('#### Waited for Azure', '', ...deploy.waits.map((wait) => `- ${escape(wait.cause)}`), '')
  }
  if (deploy.diagnosis) {
    lines.push(deploy.diagnosis.verdict === 'unknown' ? '#### Diagnosis (cause unknown)' : '#### Diagnosis', '', escape(deploy.diagnosis.cause), '')
    if (deploy.diagnosis.events.length) lines.push('```text', ...deploy.diagnosis.events, '```', '')
  }
  if (deploy.rollbacks.length > 0) lines.push('#### Rollback', '', ...deploy.rollbacks.map((line) => `- ${escape(line)}`), '')
  return lines
}

function escape(text: string): string {
  return text.replace(/\|/g, '\\|')
}
