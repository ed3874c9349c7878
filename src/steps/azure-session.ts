import type { TokenCredential } from '@azure/identity'
import type { Cloud } from '../azure/clouds.js'
import { defaultScope } from '../azure/clouds.js'
import type { RegistryLogin } from '../registry/registry-session.js'
import { RoleAssignments } from '../azure/role-assignments.js'
import { Mutations } from './mutations.js'

/** The signed-in identity and the clients built on it, shared by the steps of one run. */
export interface AzureSession {
  credential: TokenCredential
  cloud: Cloud
  callerObjectId: string | undefined
  /** Role assignments are addressed by scope, so one client serves every subscription. */
  roleAssignments: RoleAssignments
  mutations: Mutations
  /** How the action signs in to Azure registries: its own ARM token, exchanged at /oauth2/exchange. */
  acrLogin: RegistryLogin
}

export function createSession(
  credential: TokenCredential,
  cloud: Cloud,
  tenantId: string,
  subscriptionId: string,
  callerObjectId: string | undefined,
  dryRun: boolean
): AzureSession {
  return {
    credential,
    cloud,
    callerObjectId,
    roleAssignments: new RoleAssignments(credential, cloud, subscriptionId),
    mutations: new Mutations(dryRun),
    acrLogin: { kind: 'entra', tenantId, armToken: async () => (await credential.getToken(defaultScope(cloud.armAudience)))!.token }
  }
}
