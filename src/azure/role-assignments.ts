import type { TokenCredential } from '@azure/identity'
import type { PipelinePolicy } from '@azure/core-rest-pipeline'
import { AuthorizationManagementClient } from '@azure/arm-authorization'
import { ActionError, describeFailure } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import { DEADLINE_POLICIES } from './request-deadline.js'
import { CONDITION_VERSION } from './repository-condition.js'
import type { RolePermissions } from './pull-access.js'
import { roleDefinitionId, roleGuidOf } from './roles.js'

export interface Assignment {
  id: string
  name: string
  scope: string
  roleDefinitionId: string
  roleGuid: string
  principalId: string
  condition: string | undefined
  /** When ARM recorded it; a grant younger than RBAC propagation may not be honoured yet. */
  createdOn: Date | undefined
}

export interface AssignmentRequest {
  scope: string
  name: string
  roleGuid: string
  roleName: string
  principalId: string
  condition: string | undefined
}

export type CreateOutcome = { created: true; assignment: Assignment } | { created: false; reason: 'exists' }

/** ARM's clock and the runner's may disagree by this much. */
const CLOCK_SKEW_MS = 5 * 60 * 1000

/** Waits between tries while Entra replicates a new principal to ARM (PrincipalNotFound). */
const REPLICATION_BACKOFF_MS = [1000, 2000, 4000, 8000, 15000, 30000]

/**
 * The authorization client puts scopes and IDs into its URL templates verbatim after a slash of its
 * own (`/{scope}/providers/...`); a leading slash would make `//subscriptions/...`, which URL
 * parsing reads as a host name and drops from the path.
 */
function relative(scopeOrId: string): string {
  return scopeOrId.replace(/^\/+/, '')
}

export class RoleAssignments {
  private readonly client: AuthorizationManagementClient
  private readonly sleep: (ms: number) => Promise<void>

  /** PUTs (by URL) of which at least one attempt got no answer: ARM may have carried them out. */
  private readonly unanswered = new Set<string>()

  constructor(
    credential: TokenCredential,
    cloud: Cloud,
    subscriptionId: string,
    sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))
  ) {
    const unanswered = this.unanswered
    const noteLostAnswers: PipelinePolicy = {
      name: 'aksAcrLostAnswers',
      async sendRequest(request, next) {
        try {
          return await next(request)
        } catch (error) {
          if (request.method === 'PUT') unanswered.add(request.url.split('?')[0]!.toLowerCase())
          throw error
        }
      }
    }
    this.client = new AuthorizationManagementClient(credential, subscriptionId, {
      endpoint: cloud.armEndpoint,
      credentialScopes: [defaultScope(cloud.armAudience)],
      userAgentOptions: { userAgentPrefix: 'aks-acr-action' },
      additionalPolicies: [...DEADLINE_POLICIES, { policy: noteLostAnswers, position: 'perRetry' }]
    })
    this.sleep = sleep
  }

  /** Assignments at the scope and above it (inherited ones included), for every principal. */
  async listAtScope(scope: string): Promise<Assignment[]> {
    const found: Assignment[] = []
    try {
      for await (const item of this.client.roleAssignments.listForScope(relative(scope), { filter: 'atScope()' })) {
        found.push({
          id: item.id!,
          name: item.name!,
          scope: item.scope!,
          roleDefinitionId: item.roleDefinitionId!,
          roleGuid: roleGuidOf(item.roleDefinitionId),
          principalId: item.principalId!.toLowerCase(),
          condition: item.condition ?? undefined,
          createdOn: item.createdOn
        })
      }
    } catch (error) {
      const failure = describeFailure(error)
      throw new ActionError(`Could not list role assignments on ${scope}`, {
        code: failure.code,
        detail: failure.message,
        hint: failure.status === 403 ? `Grant the signed-in identity Reader on ${scope}` : undefined,
        cause: error
      })
    }
    return found
  }

  /**
   * One PUT under a deterministic name. A 409 means another run (or `az aks update --attach-acr`)
   * got there first, which is what this run wanted; PrincipalNotFound means a new kubelet identity
   * has not replicated yet, so it is retried with bounded backoff.
   */
  async create(request: AssignmentRequest, callerObjectId: string | undefined): Promise<CreateOutcome> {
    const subscriptionId = request.scope.split('/')[2]!
    const started = Date.now()
    for (let attempt = 0; ; attempt++) {
      try {
        // ARM answers 201 when it created the assignment and 200 when an identical one already had
        // this name (a concurrent run with the same deterministic name); only 201 is a change.
        let status = 0
        const created = await this.client.roleAssignments.create(
          relative(request.scope),
          request.name,
          {
            roleDefinitionId: roleDefinitionId(subscriptionId, request.roleGuid),
            principalId: request.principalId,
            // Without the type ARM looks the principal up in Entra and fails on fresh identities.
            principalType: 'ServicePrincipal',
            description: 'Image pull for the AKS kubelet identity, granted by the aks-acr GitHub Action',
            ...(request.condition ? { condition: request.condition, conditionVersion: CONDITION_VERSION } : {})
          },
          { onResponse: (response) => (status = response.status) }
        )
        if (status === 200) return { created: false, reason: 'exists' }
        return {
          created: true,
          assignment: {
            id: created.id!,
            name: created.name!,
            scope: created.scope ?? request.scope,
            roleDefinitionId: created.roleDefinitionId ?? roleDefinitionId(subscriptionId, request.roleGuid),
            roleGuid: request.roleGuid,
            principalId: request.principalId,
            condition: created.condition ?? undefined,
            createdOn: created.createdOn
          }
        }
      } catch (error) {
        const failure = describeFailure(error)
        if (failure.status === 409 && failure.code === 'RoleAssignmentExists') return this.existing(request, callerObjectId, started)
        const delay = REPLICATION_BACKOFF_MS[attempt]
        if (failure.code === 'PrincipalNotFound' && delay !== undefined) {
          await this.sleep(delay)
          continue
        }
        throw explainWriteFailure('create', request.roleName, request.scope, request.principalId, failure, callerObjectId, error)
      }
    }
  }

  /**
   * A 409 after an attempt whose answer was lost (the SDK retried a PUT that ARM had already
   * carried out) is this run's own creation: the assignment under this run's deterministic name was
   * created by this identity after this run started. Anything else was there before.
   */
  private async existing(request: AssignmentRequest, callerObjectId: string | undefined, started: number): Promise<CreateOutcome> {
    const lost = [...this.unanswered].some((url) => url.endsWith(`/roleassignments/${request.name.toLowerCase()}`))
    if (!lost || !callerObjectId) return { created: false, reason: 'exists' }
    let found
    try {
      found = await this.client.roleAssignments.get(relative(request.scope), request.name)
    } catch {
      return { created: false, reason: 'exists' }
    }
    const ours =
      found.createdBy?.toLowerCase() === callerObjectId.toLowerCase() &&
      found.createdOn !== undefined &&
      found.createdOn.getTime() >= started - CLOCK_SKEW_MS
    if (!ours) return { created: false, reason: 'exists' }
    return {
      created: true,
      assignment: {
        id: found.id!,
        name: found.name!,
        scope: found.scope ?? request.scope,
        roleDefinitionId: found.roleDefinitionId!,
        roleGuid: request.roleGuid,
        principalId: request.principalId,
        condition: found.condition ?? undefined,
        createdOn: found.createdOn
      }
    }
  }

  /**
   * What a (custom) role definition allows, to judge roles that are not built in; when it cannot be
   * read, why not (with ARM's code), so the answer becomes unknown rather than "no pull".
   */
  async permissionsOf(roleDefinitionIdValue: string): Promise<RolePermissions | { unreadable: string }> {
    try {
      const definition = await this.client.roleDefinitions.getById(relative(roleDefinitionIdValue))
      const all = definition.permissions ?? []
      return {
        actions: all.flatMap((p) => p.actions ?? []),
        notActions: all.flatMap((p) => p.notActions ?? []),
        dataActions: all.flatMap((p) => p.dataActions ?? []),
        notDataActions: all.flatMap((p) => p.notDataActions ?? [])
      }
    } catch (error) {
      const failure = describeFailure(error)
      return { unreadable: [failure.status && `HTTP ${failure.status}`, failure.code, failure.message].filter(Boolean).join(': ') }
    }
  }

  async delete(assignment: Assignment, roleName: string, callerObjectId: string | undefined): Promise<boolean> {
    try {
      const response = await this.client.roleAssignments.deleteById(relative(assignment.id))
      // ARM answers 204 with no body when someone else deleted it first.
      return response?.id !== undefined
    } catch (error) {
      const failure = describeFailure(error)
      if (failure.status === 404) return false
      throw explainWriteFailure('delete', roleName, assignment.scope, assignment.principalId, failure, callerObjectId, error)
    }
  }
}

function explainWriteFailure(
  verb: 'create' | 'delete',
  roleName: string,
  scope: string,
  principalId: string,
  failure: ReturnType<typeof describeFailure>,
  callerObjectId: string | undefined,
  cause: unknown
): ActionError {
  const what = `Could not ${verb} the ${roleName} role assignment for principal ${principalId} on ${scope}`
  if (failure.status === 403) {
    const action = verb === 'create' ? 'write' : 'delete'
    const caller = callerObjectId ? ` (object ID ${callerObjectId})` : ''
    return new ActionError(what, {
      code: failure.code,
      detail: failure.message,
      hint:
        `The signed-in identity${caller} lacks Microsoft.Authorization/roleAssignments/${action} on the registry. ` +
        `Grant it 'Role Based Access Control Administrator' (least privilege; it can be limited to assigning ${roleName}), ` +
        `'User Access Administrator' or 'Owner' on ${scope} or its resource group`,
      cause
    })
  }
  if (failure.code === 'PrincipalNotFound') {
    return new ActionError(what, {
      code: failure.code,
      detail: failure.message,
      hint: 'The kubelet identity is still replicating in Entra ID after a few minutes of retries; re-run the job shortly',
      cause
    })
  }
  return new ActionError(what, { code: failure.code, detail: failure.message, cause })
}
