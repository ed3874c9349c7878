import { ActionError, errorMessage } from '../errors.js'
import { NetworkError } from '../net/network-error.js'
import { DEFAULT_AUDIENCE } from '../settings/sign-in-settings.js'
import type { FederationClaims } from './federation-claims.js'
import { GithubTokenError } from './github-token.js'

/** Who exchanged which kind of assertion: the runner's GitHub token, or the runner pod's service account token. */
export interface FederatedSignIn {
  assertion: 'github' | 'service-account'
  tenantId: string
  clientId: string
  /** Where the client ID came from, when a message should name it. */
  clientIdFrom?: string
}

/**
 * Entra's refusal of a federated assertion, explained: which claim matched no federated credential,
 * and the command that adds one. Entra names the code (AADSTS70021, or 700211/700212/700213 for
 * issuer, audience and subject) but only the assertion's claims say what to add.
 */
export function explainFederatedFailure(
  error: unknown,
  who: FederatedSignIn,
  claims: FederationClaims | undefined,
  authorityHost = 'the authority host'
): ActionError {
  if (error instanceof ActionError) return error
  if (error instanceof GithubTokenError) {
    // Only a refusal points at the job's permissions; a failing endpoint is GitHub's trouble.
    const refused = error.status === 401 || error.status === 403
    return new ActionError('Could not get an OIDC token from GitHub', {
      code: `HTTP ${error.status}`,
      detail: error.message,
      hint: refused
        ? 'GitHub refused to issue a token: check that the job has `permissions: id-token: write` (in a reusable workflow, the calling job too)'
        : "The runner's OIDC endpoint failed after retries; re-run the job, and check https://www.githubstatus.com if it keeps failing",
      cause: error
    })
  }
  if (error instanceof NetworkError) {
    return new ActionError("Could not reach the runner's OIDC endpoint", {
      code: error.code,
      detail: error.message,
      hint: 'On a self-hosted runner, check its network path to GitHub (HTTPS_PROXY, NO_PROXY)',
      cause: error
    })
  }
  const text = errorMessage(error)
  if (/endpoints_resolution_error/.test(text)) {
    return new ActionError(`Sign-in to Entra ID failed: tenant '${who.tenantId}' could not be resolved at ${authorityHost}`, {
      code: 'endpoints_resolution_error',
      hint:
        who.assertion === 'github'
          ? "Check 'tenant-id', and 'environment' or 'authority-host': the tenant does not exist in this cloud"
          : "Check 'tenant-id' (or AZURE_TENANT_ID), and AZURE_AUTHORITY_HOST or 'authority-host': the tenant does not exist in this cloud",
      cause: error
    })
  }
  const code = /AADSTS(\d+)/.exec(text)?.[0]
  const detail = aadDescription(text)
  const what =
    who.assertion === 'github'
      ? `Sign-in to Entra ID as client ${who.clientId} in tenant ${who.tenantId} failed`
      : `Sign-in to Entra ID as client ${who.clientId} in tenant ${who.tenantId} with the runner pod's service account token failed`
  const presented = claims
    ? `${who.assertion === 'github' ? 'GitHub' : 'The service account token'} presented issuer '${claims.issuer}', subject '${claims.subject}', audience '${claims.audience}'`
    : undefined
  const add = claims
    ? addCredential(who, claims)
    : `Add a federated credential for this ${who.assertion === 'github' ? 'repository' : 'service account'} to the identity ${who.clientId}`
  switch (code) {
    case 'AADSTS70021':
      return new ActionError(what, { code, detail: presented ?? detail, hint: add, cause: error })
    case 'AADSTS700211':
      return new ActionError(what, {
        code,
        detail: claims ? `No federated credential of ${who.clientId} trusts the issuer '${claims.issuer}'${issuerIs(who)}` : detail,
        hint: add,
        cause: error
      })
    case 'AADSTS700213':
      return new ActionError(what, {
        code,
        detail: claims
          ? `No federated credential of ${who.clientId} names the subject '${claims.subject}'${subjectIs(who, claims)}`
          : detail,
        hint: add,
        cause: error
      })
    case 'AADSTS700212':
      return new ActionError(what, {
        code,
        detail: claims ? `No federated credential of ${who.clientId} accepts the audience '${claims.audience}'` : detail,
        hint: add,
        cause: error
      })
    case 'AADSTS700016':
      return new ActionError(what, {
        code,
        detail,
        hint:
          who.assertion === 'github'
            ? "Check 'client-id' and 'tenant-id': the application is not registered in that tenant"
            : `Check 'client-id' (or AZURE_CLIENT_ID, which the webhook copies from the service account's azure.workload.identity/client-id annotation) and 'tenant-id': no identity with client ID ${who.clientId} is in that tenant`,
        cause: error
      })
    case 'AADSTS90002':
      return new ActionError(what, {
        code,
        detail,
        hint: "Check 'tenant-id' and 'environment': the tenant was not found in this cloud",
        cause: error
      })
    case 'AADSTS700024':
      return new ActionError(what, {
        code,
        detail,
        hint:
          who.assertion === 'github'
            ? "The runner clock or the OIDC token's lifetime is off; re-run the job"
            : 'The service account token in AZURE_FEDERATED_TOKEN_FILE has expired, or the clock is off: the kubelet renews the file while the pod runs; check the pod, then re-run the job',
        cause: error
      })
    case undefined:
      return new ActionError(what, {
        detail: firstLine(text),
        hint: "Check 'tenant-id', 'client-id', 'environment' and 'authority-host'",
        cause: error
      })
    default:
      return new ActionError(what, { code, detail, hint: presented, cause: error })
  }
}

/** The command that adds exactly what the assertion presented. */
function addCredential(who: FederatedSignIn, claims: FederationClaims): string {
  const audience = claims.audience || DEFAULT_AUDIENCE
  if (who.assertion === 'github') {
    return `Add a federated credential to the app registration ${who.clientId} with issuer '${claims.issuer}', subject '${claims.subject}' and audience '${audience}' (az ad app federated-credential create --id ${who.clientId} --parameters '{"name":"github","issuer":"${claims.issuer}","subject":"${claims.subject}","audiences":["${audience}"]}')`
  }
  const name = credentialName(claims.subject)
  return (
    `Add a federated credential for the service account to the managed identity with client ID ${who.clientId}: ` +
    `az identity federated-credential create --name ${name} --identity-name <identity> --resource-group <group> --issuer '${claims.issuer}' --subject '${claims.subject}' --audiences '${audience}' ` +
    `(az identity list --query "[?clientId=='${who.clientId}'].[name,resourceGroup]" --output tsv gives <identity> and <group>; ` +
    `for an app registration: az ad app federated-credential create --id ${who.clientId} --parameters '{"name":"${name}","issuer":"${claims.issuer}","subject":"${claims.subject}","audiences":["${audience}"]}')`
  )
}

/** `system:serviceaccount:arc-runners:runner` → `arc-runners-runner`: federated credential names allow letters, digits, - and _. */
function credentialName(subject: string): string {
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject)
  const name = (account ? `${account[1]}-${account[2]}` : 'runner').replace(/[^A-Za-z0-9_-]/g, '-')
  return name.slice(0, 120)
}

function issuerIs(who: FederatedSignIn): string {
  return who.assertion === 'service-account' ? " (the runner's cluster's OIDC issuer: az aks show --query oidcIssuerProfile.issuerUrl)" : ''
}

function subjectIs(who: FederatedSignIn, claims: FederationClaims): string {
  const account = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(claims.subject)
  return who.assertion === 'service-account' && account
    ? ` (the runner pod's service account ${account[2]} in namespace ${account[1]})`
    : ''
}

/** The AADSTS sentence without Entra's trace, correlation and timestamp tail. */
function aadDescription(text: string): string {
  const match = /AADSTS\d+:\s*([\s\S]*?)(?:\s*Trace ID:|$)/.exec(text)
  return firstLine(match?.[1] ?? text)
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}
