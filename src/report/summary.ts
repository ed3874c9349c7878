import { permissionsModeName } from '../azure/registries.js'
import { pullRoleFor } from '../azure/roles.js'
import { describeIdentity, METHOD_NAMES } from '../azure/signed-in-identity.js'
import { escape, portalLink } from './markdown.js'
import type { RunRecord } from './run-record.js'
import type { RunIdentity } from '../settings/run-identity.js'

/** One mode's part of the summary, from the record alone. */
export type Section = (record: RunRecord) => string[]

/**
 * Pure: the job summary in Markdown: what the run worked on, then each mode's section in the order
 * the modes ran, then the error. Names and IDs only; no token ever reaches the record.
 */
export function buildSummary(record: RunRecord, sections: Section[]): string {
  const { settings, discovery } = record
  const lines: string[] = []
  const modes = settings?.modes.join(', ') ?? 'not started'
  lines.push(`## AKS and ACR: ${modes} ${record.error ? '❌ failed' : '✅ done'}`, '')

  if (settings) {
    const link = (id: string, label: string, blade = '') =>
      `[${escape(label)}](${portalLink(settings.cloud, record.signedIn?.tenantId, id, blade)})`
    lines.push('| | |', '|---|---|')
    const cluster = discovery.cluster
    if (cluster) lines.push(`| Cluster | ${link(cluster.id, cluster.name)} in ${escape(cluster.resourceGroup)} (${cluster.location}) |`)
    else if (settings.cluster) lines.push(`| Cluster | ${escape(settings.cluster.name)} (not read) |`)
    if (cluster) {
      const kind = cluster.kubelet.kind === 'managed-identity' ? 'managed identity' : `service principal ${cluster.kubelet.clientId}`
      lines.push(`| Kubelet identity | ${kind}, object ID \`${discovery.kubeletObjectId ?? 'unresolved'}\` |`)
    }
    const registry = discovery.registry
    if (registry) {
      lines.push(
        `| Registry | ${link(registry.id, registry.name)} \`${registry.loginServer}\`, ${permissionsModeName(registry.permissionsMode)} |`
      )
      // The pull role is news only where attach or check looked at it.
      if (settings.modes.some((mode) => mode === 'attach' || mode === 'check')) {
        const limited = settings.repositories.length ? `, limited to ${settings.repositories.map((r) => `\`${r}\``).join(', ')}` : ''
        lines.push(`| Pull role | ${pullRoleFor(registry.permissionsMode).name}${limited} |`)
      }
    }
    const code = (text: string) => `\`${escape(text)}\``
    const signedIn = record.signedIn
    if (signedIn)
      lines.push(
        `| Signed in as | ${describeIdentity(signedIn, code)} in tenant ${code(signedIn.tenantId ?? 'unknown')} (${settings.cloud.name}) |`
      )
    else if (settings.signIn.method === 'managed-identity' && settings.signIn.auto)
      // auto fell back to the machine's identity only because nothing else was there: no way was chosen.
      lines.push(`| Sign-in | auth-type auto: no way to sign in completed |`)
    else
      lines.push(
        `| Sign-in | ${METHOD_NAMES[settings.signIn.method]}${settings.signIn.clientId ? ` as client ${code(settings.signIn.clientId)}` : ''}, not completed |`
      )
    const run = runRow(settings.run)
    if (run) lines.push(run)
    lines.push('')
    for (const section of sections) lines.push(...section(record))
  }

  // A diagnosis above already explains a failed rollout; the error block then only names what failed.
  if (record.error) {
    const message = record.results.deploy?.diagnosis ? record.error.message.split('\n')[0]! : record.error.message
    lines.push('### Error', '', '```text', message, '```', '')
  }
  return lines.join('\n')
}

/** The workflow run, linked: what the annotations on every applied object point back to. */
function runRow(run: RunIdentity): string | undefined {
  if (!run.url) return undefined
  const label = `${run.repository} run ${run.runId}${run.attempt && run.attempt !== '1' ? `, attempt ${run.attempt}` : ''}`
  const by = [run.sha ? `commit \`${run.sha.slice(0, 12)}\`` : undefined, run.actor ? `by ${escape(run.actor)}` : undefined]
    .filter(Boolean)
    .join(' ')
  return `| Run | [${escape(label)}](${run.url})${by ? ` (${by})` : ''} |`
}
