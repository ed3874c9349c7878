import { describe, expect, it } from '@jest/globals'
import { explainFederatedFailure } from '../../src/azure/federated-failure.js'
import { readClaims } from '../../src/azure/federation-claims.js'
import { explainManagedIdentityFailure } from '../../src/azure/managed-identity.js'
import { noWayToSignIn } from '../../src/azure/no-sign-in.js'
import { NetworkError } from '../../src/net/network-error.js'
import type { ManagedIdentitySignIn } from '../../src/settings/sign-in-settings.js'

const github = { assertion: 'github' as const, tenantId: 't-1', clientId: 'c-1' }
const claims = {
  issuer: 'https://token.actions.githubusercontent.com',
  subject: 'repo:o/r:environment:prod',
  audience: 'api://AzureADTokenExchange'
}

describe('GitHub OIDC sign-in failures', () => {
  it('turn AADSTS70021 into the federated credential to add', () => {
    const error = explainFederatedFailure(
      new Error('AADSTS70021: No matching federated identity record found for presented assertion. Trace ID: 1 Correlation ID: 2'),
      github,
      claims
    )
    expect(error.code).toBe('AADSTS70021')
    expect(error.message).toContain("subject 'repo:o/r:environment:prod'")
    expect(error.message).toContain('az ad app federated-credential create --id c-1')
  })
  it('name the inputs for an unknown application', () => {
    const error = explainFederatedFailure(new Error("AADSTS700016: Application with identifier 'c-1' was not found"), github, claims)
    expect(error.message).toContain("Check 'client-id' and 'tenant-id'")
  })
})

describe('workload identity sign-in failures', () => {
  const pod = { assertion: 'service-account' as const, tenantId: 't-1', clientId: 'c-2', clientIdFrom: 'AZURE_CLIENT_ID' }
  const account = {
    issuer: 'https://eastus.oic.prod-aks.azure.com/t-1/0f0e0d0c-0b0a-4909-8807-060504030201/',
    subject: 'system:serviceaccount:arc-runners:runner',
    audience: 'api://AzureADTokenExchange'
  }
  it('give the az identity federated-credential create command with the issuer and subject presented', () => {
    const error = explainFederatedFailure(
      new Error('AADSTS70021: No matching federated identity record found for presented assertion.'),
      pod,
      account
    )
    expect(error.message).toContain(
      `az identity federated-credential create --name arc-runners-runner --identity-name <identity> --resource-group <group> --issuer '${account.issuer}' --subject 'system:serviceaccount:arc-runners:runner' --audiences 'api://AzureADTokenExchange'`
    )
    expect(error.message).toContain(`az identity list --query "[?clientId=='c-2'].[name,resourceGroup]"`)
  })
  it("say which claim matched nothing when Entra names it: the cluster's issuer", () => {
    const error = explainFederatedFailure(
      new Error('AADSTS700211: No matching federated identity record found for presented assertion issuer.'),
      pod,
      account
    )
    expect(error.code).toBe('AADSTS700211')
    expect(error.message).toContain(
      `No federated credential of c-2 trusts the issuer '${account.issuer}' (the runner's cluster's OIDC issuer`
    )
  })
  it('or the service account', () => {
    const error = explainFederatedFailure(
      new Error('AADSTS700213: No matching federated identity record found for presented assertion subject.'),
      pod,
      account
    )
    expect(error.message).toContain(
      "names the subject 'system:serviceaccount:arc-runners:runner' (the runner pod's service account runner in namespace arc-runners)"
    )
  })
  it('point an unknown client ID at the service account annotation', () => {
    const error = explainFederatedFailure(new Error("AADSTS700016: Application with identifier 'c-2' was not found"), pod, account)
    expect(error.message).toContain('azure.workload.identity/client-id')
  })
})

describe('managed identity sign-in failures', () => {
  const settings: ManagedIdentitySignIn = {
    method: 'managed-identity',
    authType: 'managed-identity',
    reason: 'auth-type is managed-identity',
    clientId: undefined,
    clientIdFrom: undefined,
    tenantId: undefined,
    metadataHost: 'http://169.254.169.254',
    ignoredTokenFile: undefined,
    auto: undefined
  }
  /** What ManagedIdentityCredential throws: MSAL's ServerError as the cause, the service's words in its message. */
  const imdsSays = (description: string) =>
    new Error('ManagedIdentityCredential: Authentication failed.', {
      cause: Object.assign(
        new Error(
          `invalid_request: Error(s): Not Available - Timestamp: Not Available - Description: ${description} - Correlation ID: Not Available - Trace ID: Not Available`
        ),
        { errorCode: 'invalid_request' }
      )
    })

  it('say the machine has no identity when IMDS finds none without a client ID', () => {
    const error = explainManagedIdentityFailure(imdsSays('Identity not found'), settings)
    expect(error.message).toContain('This machine has no managed identity')
    expect(error.message).toContain('az vm identity assign --resource-group <group> --name <vm>')
    expect(error.code).toBe('invalid_request')
  })
  it('say a user-assigned identity is not attached, and where its client ID came from', () => {
    const error = explainManagedIdentityFailure(imdsSays('Identity not found'), {
      ...settings,
      clientId: 'c-3',
      clientIdFrom: 'AZURE_CLIENT_ID'
    })
    expect(error.message).toContain(
      'The user-assigned managed identity with client ID c-3 (from AZURE_CLIENT_ID) is not attached to this machine'
    )
    expect(error.message).toContain('--identities <identity resource ID>')
  })
  it('ask for client-id when several identities are attached', () => {
    const error = explainManagedIdentityFailure(
      imdsSays('Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request'),
      settings
    )
    expect(error.message).toContain("Set 'client-id'")
  })
  it('say why auto chose the managed identity', () => {
    const error = explainManagedIdentityFailure(imdsSays('Identity not found'), {
      ...settings,
      authType: 'auto',
      auto: { probe: true, passedOver: ['GitHub OIDC: no'] }
    })
    expect(error.message).toContain('auth-type is auto and chose it because GitHub OIDC: no')
  })
})

describe('auto without any way to sign in', () => {
  it('lists what it looked for and how to enable each way', () => {
    const error = noWayToSignIn(['GitHub OIDC: no token', 'workload identity: no file'], {
      host: 'http://169.254.169.254',
      error: new NetworkError('169.254.169.254', 'timeout', 'no answer within 1 s')
    })
    expect(error.message).toContain(
      'GitHub OIDC: no token; workload identity: no file; managed identity: the instance metadata service at http://169.254.169.254 could not be reached: it did not answer (no answer within 1 s)'
    )
    expect(error.message).toContain('permissions: id-token: write')
    expect(error.message).toContain('az aks update --enable-oidc-issuer --enable-workload-identity')
    expect(error.message).toContain('az vm identity assign')
  })
})

describe('federation claims', () => {
  it('are read from the payload without verifying anything', () => {
    const payload = Buffer.from(JSON.stringify({ iss: 'i', sub: 's', aud: ['a', 'b'] })).toString('base64url')
    expect(readClaims(`h.${payload}.sig`)).toEqual({ issuer: 'i', subject: 's', audience: 'a, b' })
  })
})
