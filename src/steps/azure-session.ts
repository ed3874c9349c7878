import type { TokenCache } from '../azure/token-cache.js'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import type { RegistryLogin } from '../registry/registry-session.js'
import { RoleAssignments } from '../azure/role-assignments.js'
import { Mutations } from '../mutations.js'

/** The signed-in identity and the clients built on it, shared by the steps of one run. */
export interface AzureSession {
  /** Tokens per audience, renewed before they expire. */
  credential: TokenCache
  cloud: Cloud
  callerObjectId: string | undefined
  /** Role assignments are addressed by scope, so one client serves every subscription. */
  roleAssignments: RoleAssignments
  mutations: Mutations
  /** How the action signs in to Azure registries: its own ARM token, exchanged at /oauth2/exchange. */
  acrLogin: RegistryLogin
}

export function createSession(
  credential: TokenCache,
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
