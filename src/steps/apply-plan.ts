import * as core from '@actions/core'
import type { Change, StepPlan } from '../plan/plan.js'
import type { AzureSession } from './azure-session.js'

export type Outcome = 'created' | 'already-exists' | 'kept' | 'deleted' | 'already-gone' | 'would-create' | 'would-delete'

export interface ChangeResult {
  change: Change
  outcome: Outcome
  /** The assignment that exists after this change, when one does. */
  assignmentId: string | undefined
}

export interface StepResult {
  mode: StepPlan['mode']
  results: ChangeResult[]
}

export function changed(outcome: Outcome): boolean {
  return outcome === 'created' || outcome === 'deleted'
}

/** Carries out one step of the plan; independent changes (several deletes) run concurrently. */
export async function applyStep(step: StepPlan, session: AzureSession): Promise<StepResult> {
  const results = await Promise.all(step.changes.map((change) => applyChange(change, session)))
  return { mode: step.mode, results }
}

async function applyChange(change: Change, session: AzureSession): Promise<ChangeResult> {
  switch (change.kind) {
    case 'keep-assignment':
      core.info(`Unchanged: ${change.roleName} for the kubelet identity already exists on ${change.assignment.scope} (${change.assignment.name})`)
      return { change, outcome: 'kept', assignmentId: change.assignment.id }
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
        return { change, outcome: 'created', assignmentId: outcome.assignment.id }
      }
      // Another run won the race (or someone used another name); report the one that exists.
      const existing = (await session.roleAssignments.listAtScope(request.scope)).find(
        (a) => a.principalId === request.principalId.toLowerCase() && a.roleGuid === request.roleGuid && a.scope.toLowerCase() === request.scope.toLowerCase()
      )
      core.info(`Unchanged: the ${request.roleName} assignment was created concurrently (${existing?.id ?? 'RoleAssignmentExists'})`)
      return { change, outcome: 'already-exists', assignmentId: existing?.id }
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
