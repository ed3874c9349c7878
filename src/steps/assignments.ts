import * as core from '@actions/core'
import type { Assignment } from '../azure/role-assignments.js'
import type { AssignmentPlan, Change } from '../plan/assignments.js'
import { errorMessage } from '../errors.js'
import type { AzureSession } from './azure-session.js'

export type Outcome = 'created' | 'already-exists' | 'kept' | 'deleted' | 'already-gone' | 'would-create' | 'would-delete'

export interface ChangeResult {
  change: Change
  outcome: Outcome
  /** The assignment that exists after this change, when one does. */
  assignmentId: string | undefined
  /** The same, whole, when this run knows it (created or kept). */
  assignment?: Assignment
}

export interface StepResult {
  mode: AssignmentPlan['mode']
  results: ChangeResult[]
}

export function changed(outcome: Outcome): boolean {
  return outcome === 'created' || outcome === 'deleted'
}

/**
 * Carries out attach's or detach's plan into `step`; independent changes (several deletes) run
 * concurrently. Every change is seen through before a failure is thrown, so the ones that were
 * made stay in the record (and in the summary and `changed`) beside the one that failed.
 */
export async function changeAssignments(plan: AssignmentPlan, session: AzureSession, step: StepResult): Promise<void> {
  for (const note of plan.notes) core.info(`Note: ${note}`)
  const settled = await Promise.allSettled(plan.changes.map(async (change) => step.results.push(await applyChange(change, session))))
  step.results.sort((a, b) => plan.changes.indexOf(a.change) - plan.changes.indexOf(b.change))
  const failures = settled.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []))
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) throw new AggregateError(failures, failures.map((failure) => errorMessage(failure)).join('\n'))
}

async function applyChange(change: Change, session: AzureSession): Promise<ChangeResult> {
  switch (change.kind) {
    case 'keep-assignment':
      core.info(
        `Unchanged: ${change.roleName} for the kubelet identity already exists on ${change.assignment.scope} (${change.assignment.name})`
      )
      return { change, outcome: 'kept', assignmentId: change.assignment.id, assignment: change.assignment }
    case 'create-assignment': {
      const { request } = change
      const description = `create ${request.roleName} for principal ${request.principalId} on ${request.scope} (assignment ${request.name})`
      const outcome = await session.mutations.azure(description, () => {
        core.info(`Creating ${request.roleName} for principal ${request.principalId} on ${request.scope} (assignment ${request.name})`)
        return session.roleAssignments.create(request, session.callerObjectId)
      })
      if (!outcome) return { change, outcome: 'would-create', assignmentId: undefined }
      if (outcome.created) {
        core.info(`Created ${outcome.assignment.id}`)
        return { change, outcome: 'created', assignmentId: outcome.assignment.id, assignment: outcome.assignment }
      }
      // Another run won the race (or someone used another name); report the one that exists.
      const existing = (await session.roleAssignments.listAtScope(request.scope)).find(
        (a) =>
          a.principalId === request.principalId.toLowerCase() &&
          a.roleGuid === request.roleGuid &&
          a.scope.toLowerCase() === request.scope.toLowerCase()
      )
      core.info(`Unchanged: the ${request.roleName} assignment was created concurrently (${existing?.id ?? 'RoleAssignmentExists'})`)
      return { change, outcome: 'already-exists', assignmentId: existing?.id, assignment: existing }
    }
    case 'delete-assignment': {
      const description = `delete ${change.roleName} of the kubelet identity on ${change.assignment.scope} (${change.assignment.name})`
      const deleted = await session.mutations.azure(description, () => {
        core.info(`Deleting ${change.roleName} for the kubelet identity on ${change.assignment.scope} (${change.assignment.name})`)
        return session.roleAssignments.delete(change.assignment, change.roleName, session.callerObjectId)
      })
      if (deleted === undefined) return { change, outcome: 'would-delete', assignmentId: undefined }
      core.info(deleted ? `Deleted ${change.assignment.id}` : `Already gone: ${change.assignment.id}`)
      return { change, outcome: deleted ? 'deleted' : 'already-gone', assignmentId: undefined }
    }
  }
}

/** The assignments at and above the registry once attach or detach ran: what was found, changed by what they did. */
export function assignmentsAfter(found: Assignment[], steps: Array<StepResult | undefined>): Assignment[] {
  const gone = new Set<string>()
  const added: Assignment[] = []
  for (const result of steps.flatMap((step) => step?.results ?? [])) {
    if (result.outcome === 'deleted' || result.outcome === 'already-gone')
      gone.add(result.change.kind === 'delete-assignment' ? result.change.assignment.id.toLowerCase() : '')
    if (result.assignment && !found.some((a) => a.id.toLowerCase() === result.assignment!.id.toLowerCase())) added.push(result.assignment)
  }
  return [...found.filter((a) => !gone.has(a.id.toLowerCase())), ...added]
}

/** IDs (lower case) of the role assignments a run created: fresh, whatever ARM's clock says. */
export function createdAssignments(steps: Array<StepResult | undefined>): Set<string> {
  return new Set(
    steps
      .flatMap((step) => step?.results ?? [])
      .filter((r) => r.outcome === 'created' && r.assignmentId)
      .map((r) => r.assignmentId!.toLowerCase())
  )
}
