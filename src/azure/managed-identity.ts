import * as core from '@actions/core'
import http from 'node:http'
import https from 'node:https'
import { createDefaultHttpClient, type HttpClient } from '@azure/core-rest-pipeline'
import { ManagedIdentityCredential, type TokenCredential } from '@azure/identity'
import { ActionError, errorMessage } from '../errors.js'
import type { NetworkError } from '../net/network-error.js'
import type { ManagedIdentitySignIn } from '../settings/sign-in-settings.js'
import { AZURE_REQUEST_TIMEOUT_MS, requestDeadline } from './request-deadline.js'

/**
 * The machine's managed identity through the instance metadata service, with the Azure SDK's
 * ManagedIdentityCredential. Two of its habits are undone here (docs/azure.md, "Managed identity"):
 * it would send the metadata requests through HTTPS_PROXY (no proxy can reach this machine's
 * link-local service, and its error then reads "Network unreachable"), and it silently signs in
 * with workload identity instead whenever AZURE_FEDERATED_TOKEN_FILE is set.
 */
export function managedIdentityCredential(settings: ManagedIdentitySignIn): TokenCredential {
  if (settings.ignoredTokenFile) {
    core.info(
      `AZURE_FEDERATED_TOKEN_FILE is set (${settings.ignoredTokenFile}), but the action signs in with the managed identity: the token file is not used`
    )
    // The SDK reads the variable itself; this process's copy is the only way to keep it from doing so.
    delete process.env.AZURE_FEDERATED_TOKEN_FILE
  }
  return new ManagedIdentityCredential({ clientId: settings.clientId, httpClient: metadataHttpClient(settings.metadataHost) })
}

/**
 * The SDK's own client, with a deadline on every attempt and a direct connection to the metadata
 * service. The credential replaces `additionalPolicies` with its own, so this is the one place
 * left to add both.
 */
function metadataHttpClient(metadataHost: string): HttpClient {
  const inner = createDefaultHttpClient()
  const origin = new URL(metadataHost).origin
  const direct = origin.startsWith('https:') ? new https.Agent({ keepAlive: false }) : new http.Agent({ keepAlive: false })
  const deadline = requestDeadline(AZURE_REQUEST_TIMEOUT_MS)
  return {
    sendRequest(request) {
      if (new URL(request.url).origin === origin) request.agent = direct
      return deadline.sendRequest(request, (next) => inner.sendRequest(next))
    }
  }
}

/**
 * What the metadata service said, as MSAL keeps it: `invalid_request` and "Identity not found".
 * MSAL turns a request that got no answer (a reset, the deadline) into a bare `network_error`.
 */
function serviceAnswer(error: unknown): { code: string | undefined; description: string | undefined } {
  let current: unknown = error
  while (current instanceof Error) {
    const candidate = current as Error & { errorCode?: unknown }
    if (candidate.errorCode === 'network_error') return { code: 'network_error', description: undefined }
    if (typeof candidate.errorCode === 'string') {
      const description = /Description: ([\s\S]*?) - Correlation ID/.exec(candidate.message)?.[1] ?? candidate.message
      return { code: candidate.errorCode, description: description.trim() }
    }
    current = candidate.cause
  }
  return { code: undefined, description: errorMessage(error) }
}

/** The commands that give a VM or a scale set an identity; `extra` names a user-assigned one. */
const assign = (extra = '') =>
  `az vm identity assign --resource-group <group> --name <vm>${extra} (a scale set: az vmss identity assign --resource-group <group> --name <scale-set>${extra})`

/** Why the managed identity gave no token, and what to change. */
export function explainManagedIdentityFailure(error: unknown, settings: ManagedIdentitySignIn): ActionError {
  const { code, description } = serviceAnswer(error)
  const chosen = settings.auto ? ` (auth-type is auto and chose it because ${settings.auto.passedOver.join('; ')})` : ''
  if (description === undefined) {
    return new ActionError(
      `Could not get a token for the managed identity from the instance metadata service at ${settings.metadataHost}${chosen}`,
      {
        code,
        detail: `it answered the probe, but no token request got an answer (connections broke, or none answered within ${AZURE_REQUEST_TIMEOUT_MS / 1000} s) after the Azure SDK's retries`,
        hint: 'The service may be restarting or throttling this machine; re-run the job',
        cause: error
      }
    )
  }
  const detail = `the instance metadata service answered: ${description}`
  if (/Identity not found/i.test(description) && settings.clientId) {
    return new ActionError(
      `The user-assigned managed identity with client ID ${settings.clientId} (from ${settings.clientIdFrom}) is not attached to this machine${chosen}`,
      {
        code,
        detail,
        hint: `Attach it: ${assign(' --identities <identity resource ID>')}; or set 'client-id' to an identity that is attached (az vm identity show --resource-group <group> --name <vm> lists them)`,
        cause: error
      }
    )
  }
  if (/Identity not found/i.test(description)) {
    return new ActionError(`This machine has no managed identity${chosen}`, {
      code,
      detail,
      hint: `Give the VM or scale set one: ${assign()} for a system-assigned identity, or with --identities <identity resource ID> for a user-assigned one (then set 'client-id' to its client ID)`,
      cause: error
    })
  }
  if (/Multiple user assigned identities/i.test(description)) {
    return new ActionError(
      `This machine has several user-assigned managed identities and no system-assigned one, so the metadata service cannot choose${chosen}`,
      {
        code,
        detail,
        hint: "Set 'client-id' to the client ID of the identity to sign in as (az vm identity show --resource-group <group> --name <vm> lists them)",
        cause: error
      }
    )
  }
  return new ActionError(
    `Could not get a token for the managed identity from the instance metadata service at ${settings.metadataHost}${chosen}`,
    {
      code,
      detail,
      hint: 'The metadata service is reached directly, never through a proxy; check that nothing on the machine blocks 169.254.169.254, then re-run the job',
      cause: error
    }
  )
}

/** `auth-type: managed-identity` on a machine where no metadata service answered. */
export function metadataServiceSilent(settings: ManagedIdentitySignIn, error: NetworkError): ActionError {
  return new ActionError(
    `The instance metadata service at ${settings.metadataHost} did not answer, so this runner has no managed identity to sign in with`,
    {
      code: error.code,
      detail: error.reason,
      hint:
        'auth-type: managed-identity needs a self-hosted runner on an Azure VM or scale set (the service answers at 169.254.169.254 on every one); ' +
        'on GitHub-hosted runners use auth-type: oidc, in runner pods on AKS auth-type: workload-identity',
      cause: error
    }
  )
}

/** `auth-type: managed-identity` where the link-local address answers, but not as Azure's service does. */
export function metadataServiceNotAzure(settings: ManagedIdentitySignIn, status: number): ActionError {
  return new ActionError(
    `The service at ${settings.metadataHost} is not Azure's instance metadata service, so this runner has no managed identity to sign in with`,
    {
      code: `HTTP ${status}`,
      detail: `it answered a request without the Metadata header with HTTP ${status}, where Azure's answers 400 "Required metadata header not specified" (another cloud's metadata service answers at the same address)`,
      hint: 'auth-type: managed-identity needs a self-hosted runner on an Azure VM or scale set; elsewhere use auth-type: oidc (GitHub OIDC with a federated credential)'
    }
  )
}
