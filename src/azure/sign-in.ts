import { ClientAssertionCredential, type AccessToken } from '@azure/identity'
import type { SignInSettings } from '../settings/settings.js'
import { NetworkError } from '../net/network-error.js'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import { ActionError, errorMessage } from '../errors.js'
import { GithubTokenError, GithubTokenSource, type FederationClaims } from './github-token.js'
import { DEADLINE_POLICIES } from './request-deadline.js'
import { TokenCache } from './token-cache.js'

export interface SignedIn {
  credential: TokenCache
  /** Object ID of the identity the action runs as, read from its ARM token, for error messages. */
  callerObjectId: string | undefined
}

/**
 * Exchanges the runner's GitHub OIDC token for an Entra ID token and proves it works for ARM
 * before anything else runs, so a federation problem is reported as one, not as a failed lookup.
 */
export async function signIn(settings: SignInSettings, cloud: Cloud): Promise<SignedIn> {
  if (!settings.oidcRequest) {
    throw new ActionError('This job cannot request a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)', {
      hint: "Add `permissions: id-token: write` (and `contents: read`) to the job or workflow that uses this action; a reusable workflow needs it in the caller's job too"
    })
  }
  const github = new GithubTokenSource(settings.oidcRequest.url, settings.oidcRequest.token, settings.audience)
  const credential = new TokenCache(
    new ClientAssertionCredential(settings.tenantId, settings.clientId, () => github.token(), {
      authorityHost: cloud.authorityHost,
      // Instance discovery only knows public clouds; private clouds and the test twin would fail it.
      disableInstanceDiscovery: true,
      additionalPolicies: DEADLINE_POLICIES
    })
  )

  let token: AccessToken
  try {
    token = await credential.getToken(defaultScope(cloud.armAudience))
  } catch (error) {
    throw explainSignInFailure(github.lastError ?? error, settings, github.lastClaims, cloud.authorityHost)
  }
  return { credential, callerObjectId: objectIdOf(token.token) }
}

function objectIdOf(accessToken: string): string | undefined {
  try {
    const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { oid?: unknown }
    return typeof payload.oid === 'string' ? payload.oid : undefined
  } catch {
    return undefined
  }
}

export function explainSignInFailure(
  error: unknown,
  settings: SignInSettings,
  claims: FederationClaims | undefined,
  authorityHost = 'the authority host'
): ActionError {
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
    return new ActionError(`Sign-in to Entra ID failed: tenant '${settings.tenantId}' could not be resolved at ${authorityHost}`, {
      code: 'endpoints_resolution_error',
      hint: "Check 'tenant-id', and 'environment' or 'authority-host': the tenant does not exist in this cloud",
      cause: error
    })
  }
  const code = /AADSTS(\d+)/.exec(text)?.[0]
  const detail = aadDescription(text)
  const presented = claims
    ? `GitHub presented issuer '${claims.issuer}', subject '${claims.subject}', audience '${claims.audience}'`
    : undefined
  const addCredential = claims
    ? `Add a federated credential to the app registration ${settings.clientId} with issuer '${claims.issuer}', subject '${claims.subject}' and audience '${claims.audience}' (az ad app federated-credential create --id ${settings.clientId} --parameters '{"name":"github","issuer":"${claims.issuer}","subject":"${claims.subject}","audiences":["${claims.audience}"]}')`
    : `Add a federated credential for this repository to the app registration ${settings.clientId}`
  const what = `Sign-in to Entra ID as client ${settings.clientId} in tenant ${settings.tenantId} failed`
  switch (code) {
    case 'AADSTS70021':
    case 'AADSTS700211':
    case 'AADSTS700213':
    case 'AADSTS700212':
      return new ActionError(what, { code, detail: presented ?? detail, hint: addCredential, cause: error })
    case 'AADSTS700016':
      return new ActionError(what, {
        code,
        detail,
        hint: "Check 'client-id' and 'tenant-id': the application is not registered in that tenant",
        cause: error
      })
    case 'AADSTS90002':
      return new ActionError(what, { code, detail, hint: "Check 'tenant-id' and 'environment': the tenant was not found in this cloud", cause: error })
    case 'AADSTS700024':
      return new ActionError(what, {
        code,
        detail,
        hint: "The runner clock or the OIDC token's lifetime is off; re-run the job",
        cause: error
      })
    case undefined:
      return new ActionError(what, { detail: firstLine(text), hint: "Check 'tenant-id', 'client-id', 'environment' and 'authority-host'", cause: error })
    default:
      return new ActionError(what, { code, detail, hint: presented ? `${presented}` : undefined, cause: error })
  }
}

/** The AADSTS sentence without Entra's trace, correlation and timestamp tail. */
function aadDescription(text: string): string {
  const match = /AADSTS\d+:\s*([\s\S]*?)(?:\s*Trace ID:|$)/.exec(text)
  return firstLine(match?.[1] ?? text)
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.trim()
}
