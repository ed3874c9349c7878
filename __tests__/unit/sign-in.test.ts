import { describe, expect, it } from '@jest/globals'
import { explainSignInFailure } from '../../src/azure/sign-in.js'
import { readClaims } from '../../src/azure/github-token.js'

const settings = { tenantId: 't-1', clientId: 'c-1', audience: 'api://AzureADTokenExchange', oidcRequest: { url: 'https://x', token: 't' } }
const claims = { issuer: 'https://token.actions.githubusercontent.com', subject: 'repo:o/r:environment:prod', audience: 'api://AzureADTokenExchange' }

describe('sign-in failures', () => {
  it('turn AADSTS70021 into the federated credential to add', () => {
    const error = explainSignInFailure(
      new Error('AADSTS70021: No matching federated identity record found for presented assertion. Trace ID: 1 Correlation ID: 2'),
      settings,
      claims
    )
    expect(error.code).toBe('AADSTS70021')
    expect(error.message).toContain("subject 'repo:o/r:environment:prod'")
    expect(error.message).toContain('az ad app federated-credential create --id c-1')
  })
  it('name the inputs for an unknown application', () => {
    const error = explainSignInFailure(new Error("AADSTS700016: Application with identifier 'c-1' was not found"), settings, claims)
    expect(error.message).toContain("Check 'client-id' and 'tenant-id'")
  })
})

describe('GitHub token claims', () => {
  it('are read from the payload without verifying anything', () => {
    const payload = Buffer.from(JSON.stringify({ iss: 'i', sub: 's', aud: ['a', 'b'] })).toString('base64url')
    expect(readClaims(`h.${payload}.sig`)).toEqual({ issuer: 'i', subject: 's', audience: 'a, b' })
  })
})
