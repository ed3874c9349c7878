import type { ChangeResult, Outcome, StepResult } from '../steps/assignments.js'
import { escape, portalLink } from './markdown.js'
import type { OutputPart } from './outputs.js'
import type { RunRecord } from './run-record.js'

const OUTCOME_TEXT: Record<Outcome, string> = {
  created: '✅ created',
  'already-exists': '➖ already existed (created concurrently)',
  kept: '➖ unchanged, already existed',
  deleted: '🗑️ deleted',
  'already-gone': '➖ already gone',
  'would-create': '🔍 would create (dry run)',
  'would-delete': '🔍 would delete (dry run)'
}

export function changed(outcome: Outcome): boolean {
  return outcome === 'created' || outcome === 'deleted'
}

/** attach: the pull assignment that exists afterwards and its role. */
export const attachOutputs: OutputPart = {
  outputs(record) {
    const attached = record.results.attach?.results.find((result) => result.assignmentId !== undefined)
    return { 'role-assignment-id': attached?.assignmentId ?? '', role: attached ? (record.plans.attach?.role?.name ?? '') : '' }
  },
  changed: (record) => stepChanged(record.results.attach)
}

/** detach leaves no assignment to name. */
export const detachOutputs: OutputPart = {
  outputs: () => ({}),
  changed: (record) => stepChanged(record.results.detach)
}

function stepChanged(step: StepResult | undefined): boolean {
  return step?.results.some((result) => changed(result.outcome)) ?? false
}

/** Pure: attach's or detach's rows of the changes table, and the plan's notes. */
export function assignmentsSection(mode: 'attach' | 'detach'): (record: RunRecord) => string[] {
  return (record) => {
    const { settings } = record
    const step = record.results[mode]
    const plan = record.plans[mode]
    if (!settings || !plan) return []
    const registry = record.discovery.registry
    const lines: string[] = []
    if (step) {
      lines.push('### Changes', '', '| Step | Role assignment | Scope | Result |', '|---|---|---|---|')
      for (const result of step.results) lines.push(row(mode, result, record))
      if (step.results.length === 0) lines.push(`| ${mode} | none for the kubelet identity | | ➖ nothing to remove |`)
      lines.push('')
    }
    if (plan.notes.length > 0) lines.push('### Notes', '', ...plan.notes.map((note) => `- ${escape(note)}`), '')
    return lines

    function row(stepMode: string, result: ChangeResult, run: RunRecord): string {
      const { change } = result
      const role = change.kind === 'create-assignment' ? change.request.roleName : change.roleName
      const scope = change.kind === 'create-assignment' ? change.request.scope : change.assignment.scope
      const id = result.assignmentId ?? (change.kind === 'create-assignment' ? undefined : change.assignment.id)
      const name = id ? `\`${id.split('/').pop()}\`` : ''
      const where =
        registry && scope.toLowerCase() === registry.id.toLowerCase()
          ? `[${escape(registry.name)}](${portalLink(run.settings!.cloud, run.signedIn?.tenantId, registry.id, 'users')})`
          : escape(scope)
      return `| ${stepMode} | ${role} ${name} | ${where} | ${OUTCOME_TEXT[result.outcome]} |`
    }
  }
}
