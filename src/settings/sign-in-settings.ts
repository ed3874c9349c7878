import { existsSync } from 'node:fs'
import { InputError } from '../errors.js'
import type { InputReader } from './inputs.js'
import { isGuid } from './resource-id.js'

export const AUTH_TYPES = ['auto', 'oidc', 'managed-identity', 'workload-identity'] as const
export type AuthType = (typeof AUTH_TYPES)[number]
export type SignInMethod = Exclude<AuthType, 'auto'>

/** The audience a GitHub OIDC token needs for Entra ID (docs/azure.md); action.yml's default. */
export const DEFAULT_AUDIENCE = 'api://AzureADTokenExchange'

/** Where the instance metadata service answers on every Azure VM (docs/azure.md, "Managed identity"). */
export const METADATA_HOST = 'http://169.254.169.254'

/** How the action signs in: what `auth-type` asked for, or what `auto` found on the runner. */
export type SignInSettings = OidcSignIn | WorkloadIdentitySignIn | ManagedIdentitySignIn

interface Chosen {
  authType: AuthType
  /** Why this way, for the log: `auth-type` named it, or what `auto` found and passed over. */
  reason: string
}

/** Where a client ID came from, so a message can name what to change. */
export type ClientIdSource = 'client-id' | 'AZURE_CLIENT_ID'

export interface OidcSignIn extends Chosen {
  method: 'oidc'
  tenantId: string
  clientId: string
  audience: string
  /** Where the runner hands out OIDC tokens, and the bearer it wants; absent when the job lacks `id-token: write`. */
  oidcRequest: { url: string; token: string } | undefined
}

export interface WorkloadIdentitySignIn extends Chosen {
  method: 'workload-identity'
  tenantId: string
  clientId: string
  clientIdFrom: ClientIdSource
  /** The projected service account token; read again for every exchange because the kubelet rotates it. */
  tokenFile: string
  /** `AZURE_AUTHORITY_HOST` as the webhook sets it, unless `authority-host` is given (then the cloud's is used). */
  authorityHost: string | undefined
}

export interface ManagedIdentitySignIn extends Chosen {
  method: 'managed-identity'
  /** A user-assigned identity's client ID; absent: the machine's system-assigned identity (or its only user-assigned one). */
  clientId: string | undefined
  clientIdFrom: ClientIdSource | undefined
  /** `tenant-id` when given: the identity's tenant must be this one. */
  tenantId: string | undefined
  /** The metadata service: `AZURE_POD_IDENTITY_AUTHORITY_HOST` (which the Azure SDK honours too), or 169.254.169.254. */
  metadataHost: string
  /**
   * AZURE_FEDERATED_TOKEN_FILE as the runner set it: the Azure SDK's managed identity credential
   * would silently sign in with workload identity instead, so the sign-in hides it from the SDK.
   */
  ignoredTokenFile: string | undefined
  /**
   * Set when `auto` came here because nothing else was found: the identity is used only if the
   * metadata service answers within a short deadline (`probe` false: not worth asking, on a
   * GitHub-hosted runner). `passedOver` says why the other ways were not taken, for the error
   * that explains all three.
   */
  auto: { probe: boolean; passedOver: string[] } | undefined
}

/**
 * Reads `auth-type` and the identity inputs, and for `auto` decides what it can without a request:
 * GitHub OIDC when the job can request a token, else workload identity when the webhook's token
 * file is there, else managed identity if the metadata service answers (decided at sign-in).
 */
export function readSignIn(getInput: InputReader, env: NodeJS.ProcessEnv): SignInSettings {
  const raw = getInput('auth-type').trim().toLowerCase() || 'auto'
  if (!(AUTH_TYPES as readonly string[]).includes(raw)) {
    throw new InputError('auth-type', `'${raw}' is not a way to sign in; use one of ${AUTH_TYPES.join(', ')}`)
  }
  const authType = raw as AuthType
  const tenantInput = readTenant(getInput, env)
  const client = readClient(getInput, env)
  const audience = getInput('audience').trim() || DEFAULT_AUDIENCE
  const url = env.ACTIONS_ID_TOKEN_REQUEST_URL?.trim()
  const token = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN?.trim()
  const oidcRequest = url && token ? { url, token } : undefined
  const tokenFile = env.AZURE_FEDERATED_TOKEN_FILE?.trim() || undefined
  const authorityHostGiven = getInput('authority-host').trim() !== ''

  let settings: SignInSettings
  if (authType === 'oidc' || (authType === 'auto' && oidcRequest)) {
    const reason = authType === 'oidc' ? 'auth-type is oidc' : 'auth-type is auto and this job can request a GitHub OIDC token'
    settings = oidc(authType, reason, tenantInput, client, audience, oidcRequest)
  } else if (authType === 'workload-identity' || (authType === 'auto' && tokenFile && existsSync(tokenFile))) {
    if (!tokenFile) {
      throw new InputError(
        'auth-type',
        'is workload-identity, but AZURE_FEDERATED_TOKEN_FILE is not set: the Azure workload identity webhook sets it in pods labelled azure.workload.identity/use: "true" whose service account is annotated with azure.workload.identity/client-id'
      )
    }
    const reason =
      authType === 'workload-identity'
        ? 'auth-type is workload-identity'
        : `auth-type is auto, this job cannot request a GitHub OIDC token, and AZURE_FEDERATED_TOKEN_FILE names a token file (${tokenFile})`
    settings = workloadIdentity(authType, reason, tenantInput, client, tokenFile, authorityHostGiven ? undefined : readAuthorityHost(env))
  } else {
    const passedOver = [
      'GitHub OIDC: this job cannot request a token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)',
      tokenFile
        ? `workload identity: AZURE_FEDERATED_TOKEN_FILE names ${tokenFile}, which does not exist`
        : 'workload identity: AZURE_FEDERATED_TOKEN_FILE is not set'
    ]
    const githubHosted = env.RUNNER_ENVIRONMENT?.trim() === 'github-hosted'
    if (githubHosted)
      passedOver.push('managed identity: a GitHub-hosted runner holds no managed identity of yours, so the metadata service was not asked')
    settings = {
      method: 'managed-identity',
      authType,
      reason:
        authType === 'managed-identity'
          ? 'auth-type is managed-identity'
          : 'auth-type is auto, this job cannot request a GitHub OIDC token and has no workload identity token file',
      clientId: client?.id,
      clientIdFrom: client?.from,
      // A managed identity's tenant is its own: only 'tenant-id' itself is held against it, never an
      // AZURE_TENANT_ID a workflow sets for other tools.
      tenantId: getInput('tenant-id').trim() ? tenantInput : undefined,
      metadataHost: readMetadataHost(env),
      ignoredTokenFile: tokenFile,
      auto: authType === 'auto' ? { probe: !githubHosted, passedOver } : undefined
    }
  }
  if (settings.method !== 'oidc' && audience !== DEFAULT_AUDIENCE) {
    throw new InputError(
      'audience',
      `is the audience of a GitHub OIDC token, but the action signs in with ${settings.method} (${settings.reason}); ${
        authType === 'auto' && !oidcRequest
          ? 'to sign in with GitHub OIDC, give the job permissions: id-token: write; else remove it'
          : 'remove it'
      }`
    )
  }
  return settings
}

function oidc(
  authType: AuthType,
  reason: string,
  tenantId: string | undefined,
  client: { id: string; from: ClientIdSource } | undefined,
  audience: string,
  oidcRequest: OidcSignIn['oidcRequest']
): OidcSignIn {
  if (!tenantId)
    throw new InputError('tenant-id', 'is required: set it or AZURE_TENANT_ID to the Entra ID tenant of the identity to sign in as')
  if (!client) {
    throw new InputError(
      'client-id',
      'is required: set it or AZURE_CLIENT_ID to the application (client) ID that holds the federated credential'
    )
  }
  return { method: 'oidc', authType, reason, tenantId, clientId: client.id, audience, oidcRequest }
}

function workloadIdentity(
  authType: AuthType,
  reason: string,
  tenantId: string | undefined,
  client: { id: string; from: ClientIdSource } | undefined,
  tokenFile: string,
  authorityHost: string | undefined
): WorkloadIdentitySignIn {
  if (!tenantId) {
    throw new InputError(
      'tenant-id',
      'is required for workload identity: set it, or let the workload identity webhook set AZURE_TENANT_ID (is the runner pod labelled azure.workload.identity/use: "true"?)'
    )
  }
  if (!client) {
    throw new InputError(
      'client-id',
      "is required for workload identity: set it, or annotate the runner's service account with azure.workload.identity/client-id so that the webhook sets AZURE_CLIENT_ID"
    )
  }
  return {
    method: 'workload-identity',
    authType,
    reason,
    tenantId,
    clientId: client.id,
    clientIdFrom: client.from,
    tokenFile,
    authorityHost
  }
}

function readTenant(getInput: InputReader, env: NodeJS.ProcessEnv): string | undefined {
  const tenantId = getInput('tenant-id').trim() || env.AZURE_TENANT_ID?.trim() || ''
  if (!tenantId) return undefined
  if (!isGuid(tenantId) && !/^[a-z0-9][-a-z0-9.]*\.[a-z]{2,}$/i.test(tenantId)) {
    throw new InputError('tenant-id', `'${tenantId}' is neither a tenant ID (a GUID) nor a tenant domain`)
  }
  return tenantId
}

function readClient(getInput: InputReader, env: NodeJS.ProcessEnv): { id: string; from: ClientIdSource } | undefined {
  const input = getInput('client-id').trim()
  const id = input || env.AZURE_CLIENT_ID?.trim() || ''
  if (!id) return undefined
  if (!isGuid(id)) throw new InputError('client-id', `'${id}' is not an application (client) ID (a GUID)`)
  return { id, from: input ? 'client-id' : 'AZURE_CLIENT_ID' }
}

/** The webhook writes `https://login.microsoftonline.com/`; tokens travel there, so only https is taken. */
function readAuthorityHost(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.AZURE_AUTHORITY_HOST?.trim()
  if (!raw) return undefined
  const url = parseUrl(raw)
  if (!url || url.protocol !== 'https:') {
    throw new InputError(
      'authority-host',
      `AZURE_AUTHORITY_HOST '${raw}' is not an https:// URL; fix the variable or give 'authority-host'`
    )
  }
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** The metadata service speaks plain http on a link-local address: no token ever leaves the machine. */
function readMetadataHost(env: NodeJS.ProcessEnv): string {
  const raw = env.AZURE_POD_IDENTITY_AUTHORITY_HOST?.trim()
  if (!raw) return METADATA_HOST
  const url = parseUrl(raw)
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new InputError('auth-type', `AZURE_POD_IDENTITY_AUTHORITY_HOST '${raw}' is not a URL of the instance metadata service`)
  }
  return url.origin
}

function parseUrl(raw: string): URL | undefined {
  try {
    return new URL(raw)
  } catch {
    return undefined
  }
}
