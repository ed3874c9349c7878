import * as core from '@actions/core'
import { ClientAssertionCredential, type AccessToken, type TokenCredential } from '@azure/identity'
import { ActionError } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import { isGuid } from '../settings/resource-id.js'
import type { ManagedIdentitySignIn, OidcSignIn, SignInSettings, WorkloadIdentitySignIn } from '../settings/sign-in-settings.js'
import { explainFederatedFailure } from './federated-failure.js'
import { GithubTokenSource } from './github-token.js'
import {
  explainManagedIdentityFailure,
  managedIdentityCredential,
  metadataServiceNotAzure,
  metadataServiceSilent
} from './managed-identity.js'
import { AUTO_PROBE_MS, EXPLICIT_PROBE_MS, probeMetadataService } from './metadata-probe.js'
import { noWayToSignIn } from './no-sign-in.js'
import { DEADLINE_POLICIES } from './request-deadline.js'
import { identityFromToken, METHOD_NAMES, type SignedInIdentity } from './signed-in-identity.js'
import { TokenCache } from './token-cache.js'
import { ServiceAccountToken, workloadIdentityCredential } from './workload-identity.js'

export interface SignedIn {
  credential: TokenCache
  identity: SignedInIdentity
}

/** A way to sign in, ready to ask for a token, and how to explain its failure. */
interface Source {
  credential: TokenCredential
  reason: string
  explain(error: unknown): ActionError
  /** What a federated assertion presented as its subject (after the first exchange). */
  subject(): string | undefined
}

/**
 * Signs in the way the settings chose (GitHub OIDC, the runner pod's workload identity, or the
 * machine's managed identity) and proves it with an ARM token before anything else runs, so a
 * sign-in problem is reported as one, not as a failed lookup. Who signed in is read from that token.
 */
export async function signIn(settings: SignInSettings, cloud: Cloud): Promise<SignedIn> {
  const source = await sourceFor(settings, cloud)
  core.info(`Signing in with ${METHOD_NAMES[settings.method]}: ${source.reason}`)
  const credential = new TokenCache(source.credential)
  let token: AccessToken
  try {
    token = await credential.getToken(defaultScope(cloud.armAudience))
  } catch (error) {
    throw source.explain(error)
  }
  const identity = identityFromToken(token.token, settings.method, source.reason, source.subject(), settings.tenantId)
  if (
    settings.method === 'managed-identity' &&
    settings.tenantId &&
    identity.tenantId &&
    !sameTenant(settings.tenantId, identity.tenantId)
  ) {
    throw new ActionError(`The managed identity belongs to tenant ${identity.tenantId}, not to tenant-id ${settings.tenantId}`, {
      hint: "Remove 'tenant-id' (a managed identity's tenant is its own), or use an identity of that tenant"
    })
  }
  return { credential, identity }
}

async function sourceFor(settings: SignInSettings, cloud: Cloud): Promise<Source> {
  switch (settings.method) {
    case 'oidc':
      return githubOidc(settings, cloud)
    case 'workload-identity':
      return workloadIdentity(settings, cloud)
    case 'managed-identity':
      return managedIdentity(settings)
  }
}

function githubOidc(settings: OidcSignIn, cloud: Cloud): Source {
  if (!settings.oidcRequest) {
    throw new ActionError('This job cannot request a GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set)', {
      hint: "Add `permissions: id-token: write` (and `contents: read`) to the job or workflow that uses this action; a reusable workflow needs it in the caller's job too"
    })
  }
  const github = new GithubTokenSource(settings.oidcRequest.url, settings.oidcRequest.token, settings.audience)
  const who = { assertion: 'github' as const, tenantId: settings.tenantId, clientId: settings.clientId }
  return {
    credential: new ClientAssertionCredential(settings.tenantId, settings.clientId, () => github.token(), {
      authorityHost: cloud.authorityHost,
      // Instance discovery only knows public clouds; private clouds and the test twin would fail it.
      disableInstanceDiscovery: true,
      additionalPolicies: DEADLINE_POLICIES
    }),
    reason: settings.reason,
    explain: (error) => explainFederatedFailure(github.lastError ?? error, who, github.lastClaims, cloud.authorityHost),
    subject: () => github.lastClaims?.subject
  }
}

function workloadIdentity(settings: WorkloadIdentitySignIn, cloud: Cloud): Source {
  const token = new ServiceAccountToken(settings.tokenFile)
  const who = {
    assertion: 'service-account' as const,
    tenantId: settings.tenantId,
    clientId: settings.clientId,
    clientIdFrom: settings.clientIdFrom
  }
  return {
    credential: workloadIdentityCredential(settings, cloud, token),
    reason: settings.reason,
    // A token file that cannot be read is the failure, whatever the credential made of it.
    explain: (error) =>
      token.lastError ?? explainFederatedFailure(error, who, token.lastClaims, settings.authorityHost ?? cloud.authorityHost),
    subject: () => token.lastClaims?.subject
  }
}

/**
 * The metadata service is asked first whether it is there at all: off Azure its address swallows
 * packets, and the SDK would retry for minutes before saying so. For `auto` the answer decides.
 */
async function managedIdentity(settings: ManagedIdentitySignIn): Promise<Source> {
  if (settings.auto && !settings.auto.probe) throw noWayToSignIn(settings.auto.passedOver)
  const probe = await probeMetadataService(settings.metadataHost, settings.auto ? AUTO_PROBE_MS : EXPLICIT_PROBE_MS)
  if (probe.answered === 'not-azure') {
    if (settings.auto) throw noWayToSignIn(settings.auto.passedOver, { host: settings.metadataHost, status: probe.status })
    throw metadataServiceNotAzure(settings, probe.status)
  }
  if (!probe.answered) {
    if (settings.auto) throw noWayToSignIn(settings.auto.passedOver, { host: settings.metadataHost, error: probe.error })
    throw metadataServiceSilent(settings, probe.error)
  }
  return {
    credential: managedIdentityCredential(settings),
    reason: settings.auto ? `${settings.reason}, and the instance metadata service answered` : settings.reason,
    explain: (error) => explainManagedIdentityFailure(error, settings),
    subject: () => undefined
  }
}

function sameTenant(given: string, actual: string): boolean {
  // A tenant domain (contoso.onmicrosoft.com) cannot be compared with the token's GUID without a lookup.
  return !isGuid(given) || given.toLowerCase() === actual.toLowerCase()
}
