import type { TokenCredential } from '@azure/identity'
import { getClient } from '@azure-rest/core-client'
import { ActionError, describeFailure } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import { DEADLINE_POLICIES } from './request-deadline.js'

/**
 * A service-principal cluster names its kubelet by application (client) ID, but role assignments
 * take object IDs; only Microsoft Graph maps one to the other. Managed-identity clusters never come here.
 */
export async function servicePrincipalObjectId(credential: TokenCredential, cloud: Cloud, appId: string): Promise<string> {
  const client = getClient(cloud.graphEndpoint, credential, {
    credentials: { scopes: [defaultScope(cloud.graphAudience)] },
    userAgentOptions: { userAgentPrefix: 'aks-acr-action' },
    additionalPolicies: DEADLINE_POLICIES
  })
  const path = `/v1.0/servicePrincipals(appId='${encodeURIComponent(appId)}')`
  let response
  try {
    response = await client.pathUnchecked(path).get({ queryParameters: { $select: 'id,appId,displayName' } })
  } catch (error) {
    // No answer from Graph: the connection, its deadline, or the token for it failed (AADSTS codes kept).
    const failure = describeFailure(error)
    throw new ActionError(
      `Could not ask Microsoft Graph (${new URL(cloud.graphEndpoint).host}) for the cluster's service principal ${appId}`,
      {
        code: failure.code,
        detail: failure.message,
        cause: error
      }
    )
  }
  const body = response.body as { id?: string; error?: { code?: string; message?: string } }
  if (response.status === '200' && body.id) return body.id
  const what = `Could not resolve the cluster's service principal (application ID ${appId}) to an object ID`
  if (response.status === '404') {
    throw new ActionError(what, {
      code: body.error?.code,
      detail: body.error?.message,
      hint: "The cluster's service principal no longer exists in this tenant; reset its credentials with `az aks update-credentials --reset-service-principal`"
    })
  }
  if (response.status === '403') {
    throw new ActionError(what, {
      code: body.error?.code,
      detail: body.error?.message,
      hint: 'Grant the signed-in app the Microsoft Graph application permission Application.Read.All (admin consent), or move the cluster to a managed identity (`az aks update --enable-managed-identity`)'
    })
  }
  throw new ActionError(what, { code: body.error?.code ?? `HTTP ${response.status}`, detail: body.error?.message })
}
