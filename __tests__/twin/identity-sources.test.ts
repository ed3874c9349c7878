import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { ManagedIdentityCredential, WorkloadIdentityCredential } from '@azure/identity'
import { createContainerService } from '@azure/arm-containerservice/api'
import { get as getCluster } from '@azure/arm-containerservice/api/managedClusters'
import { startSeeded, credential, armFetch, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'
import { decodeJwt } from '../../twin/jwt.ts'
import type { Cluster, ManagedIdentity } from '../../twin/index.ts'

const S = SCENARIO
const AKS_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default'

/**
 * The runner's identity sources, held to the real @azure/identity: the instance metadata service of
 * the runner's VM (ManagedIdentityCredential) and an AKS cluster's OIDC issuer whose service account
 * tokens Entra exchanges (WorkloadIdentityCredential). MSAL keeps managed identity tokens per
 * process, by identity and resource, so each case below asks for a pair no earlier case asked for.
 */
describe('identity sources of self-hosted runners, with the real @azure/identity', () => {
  let h: Harness
  let runnerIdentity: ManagedIdentity
  let restore: string | undefined
  beforeAll(async () => {
    h = await startSeeded()
    restore = process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    // The variable the SDK (MSAL) honours for the metadata service's host: a test cannot bind 169.254.169.254.
    process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = h.twin.imdsUrl
    runnerIdentity = h.twin.addManagedIdentity({ subscriptionId: S.SUB, resourceGroup: 'runners', name: 'runner-id' })
  })
  afterAll(async () => {
    if (restore === undefined) delete process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST
    else process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = restore
    await h.close()
  })

  describe('instance metadata service', () => {
    it("hands the VM's system-assigned identity an ARM token that ARM accepts", async () => {
      const machine = h.twin.setRunnerMachine({
        subscriptionId: S.SUB,
        resourceGroup: 'runners',
        name: 'runner-vm',
        systemAssigned: true,
        userAssigned: [runnerIdentity]
      })
      const before = h.twin.requests.length
      const token = await new ManagedIdentityCredential().getToken(S.ARM_SCOPE)
      const claims = decodeJwt(token!.token)!.payload
      expect(claims).toMatchObject({
        aud: 'https://management.core.windows.net/',
        tid: S.TENANT_ID,
        oid: machine.systemAssigned!.objectId,
        appid: machine.systemAssigned!.clientId,
        xms_mirid: machine.resourceId
      })
      // Managed identity tokens live a day.
      expect(Number(claims.exp) - Number(claims.iat)).toBe(86_400)
      expect(h.twin.requests.slice(before).map((r) => [r.method, r.host, r.path, r.query.resource, r.status])).toEqual([
        ['GET', '127.0.0.2', '/metadata/identity/oauth2/token/', 'https://management.core.windows.net/', 200]
      ])
      const arm = await armFetch(h.twin, '/subscriptions?api-version=2022-12-01', { token: token!.token })
      expect(arm.status).toBe(200)
    })

    it('hands a user-assigned identity its own token when its client ID is named', async () => {
      const token = await new ManagedIdentityCredential({ clientId: runnerIdentity.clientId }).getToken(S.ARM_SCOPE)
      expect(decodeJwt(token!.token)!.payload).toMatchObject({
        oid: runnerIdentity.objectId,
        appid: runnerIdentity.clientId,
        xms_mirid: runnerIdentity.resourceId
      })
    })

    it('answers "Identity not found" for a client ID that is not attached', async () => {
      const error = await new ManagedIdentityCredential({ clientId: '0a0b0c0d-1111-4222-8333-444455556666' })
        .getToken(S.ARM_SCOPE)
        .catch((e: Error) => e)
      expect(error).toMatchObject({ name: 'CredentialUnavailableError' })
      expect((error as Error).message).toContain('Description: Identity not found')
      expect(((error as Error).cause as { errorCode?: string }).errorCode).toBe('invalid_request')
    })

    it('asks for a client ID when several user-assigned identities and no system-assigned one are attached', async () => {
      const second = h.twin.addManagedIdentity({ subscriptionId: S.SUB, resourceGroup: 'runners', name: 'runner-id-2' })
      h.twin.setRunnerMachine({
        subscriptionId: S.SUB,
        resourceGroup: 'runners',
        name: 'runner-vm',
        userAssigned: [runnerIdentity, second]
      })
      const error = await new ManagedIdentityCredential().getToken(S.GRAPH_SCOPE).catch((e: Error) => e)
      expect((error as Error).message).toContain(
        'Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request'
      )
    })

    it('answers "Identity not found" on a VM without any identity', async () => {
      h.twin.setRunnerMachine({ subscriptionId: S.SUB, resourceGroup: 'runners', name: 'bare-vm' })
      const error = await new ManagedIdentityCredential().getToken(AKS_SCOPE).catch((e: Error) => e)
      expect((error as Error).message).toContain('Description: Identity not found')
    })

    it('refuses a request without the Metadata header, as the SDK probes it', async () => {
      const res = await fetch(`${h.twin.imdsUrl}/metadata/identity/oauth2/token`)
      expect([res.status, await res.json()]).toEqual([
        400,
        { error: 'bad_request_102', error_description: 'Required metadata header not specified' }
      ])
    })

    it('never answers when the runner is not on Azure', async () => {
      h.twin.state.runnerMachine = undefined
      const before = h.twin.requests.length
      const error = await fetch(`${h.twin.imdsUrl}/metadata/identity/oauth2/token`, { signal: AbortSignal.timeout(300) }).catch(
        (e: Error) => e
      )
      expect((error as Error).name).toBe('TimeoutError')
      expect(h.twin.requests.slice(before)).toEqual([])
    })
  })

  describe("an AKS cluster's OIDC issuer", () => {
    let cluster: Cluster
    let identity: ManagedIdentity
    const subject = 'system:serviceaccount:arc-runners:runner'
    beforeAll(() => {
      cluster = h.twin.addCluster({
        subscriptionId: S.SUB,
        resourceGroup: 'runners',
        name: 'runners-aks',
        identity: 'managedIdentity',
        workloadIdentity: true
      })
      identity = h.twin.addManagedIdentity({
        subscriptionId: S.SUB,
        resourceGroup: 'runners',
        name: 'arc-runner-id',
        federatedCredentials: [{ name: 'arc', issuer: cluster.oidcIssuerUrl!, subject, audiences: ['api://AzureADTokenExchange'] }]
      })
    })

    it('shows in the cluster ARM returns, as the SDK reads it', async () => {
      const aks = createContainerService(credential(h.twin), S.SUB, {
        endpoint: h.twin.url,
        credentials: { scopes: [S.ARM_SCOPE] },
        apiVersion: '2025-10-01'
      })
      const mc = await getCluster(aks, 'runners', 'runners-aks')
      expect(mc.oidcIssuerProfile).toEqual({ enabled: true, issuerURL: cluster.oidcIssuerUrl })
      expect(mc.securityProfile?.workloadIdentity?.enabled).toBe(true)
      expect(cluster.oidcIssuerUrl).toMatch(new RegExp(`^https://eastus\\.oic\\.prod-aks\\.azure\\.com/${S.TENANT_ID}/[0-9a-f-]{36}/$`))
    })

    it("issues tokens Entra exchanges for the identity's federated credential (WorkloadIdentityCredential)", async () => {
      const pod = h.twin.workloadIdentityPod(cluster, { namespace: 'arc-runners', serviceAccount: 'runner', clientId: identity.clientId })
      const jti = String(decodeJwt(pod.token)!.payload.jti)
      const wi = new WorkloadIdentityCredential({
        tenantId: pod.env.AZURE_TENANT_ID,
        clientId: pod.env.AZURE_CLIENT_ID,
        tokenFilePath: pod.tokenFile,
        authorityHost: pod.env.AZURE_AUTHORITY_HOST,
        disableInstanceDiscovery: true
      })
      const token = await wi.getToken(S.ARM_SCOPE)
      expect(decodeJwt(token!.token)!.payload).toMatchObject({
        oid: identity.objectId,
        appid: identity.clientId,
        xms_mirid: identity.resourceId,
        tid: S.TENANT_ID
      })
      expect(h.twin.exchanges.at(-1)).toMatchObject({
        clientId: identity.clientId,
        issuer: cluster.oidcIssuerUrl,
        subject,
        jti,
        status: 200
      })
      const claims = decodeJwt(pod.token)!.payload
      expect(claims).toMatchObject({
        aud: ['api://AzureADTokenExchange'],
        iss: cluster.oidcIssuerUrl,
        sub: subject,
        'kubernetes.io': { namespace: 'arc-runners', serviceaccount: { name: 'runner' } }
      })
    })

    it('refuses another service account with AADSTS70021, quoting the subject it presented', async () => {
      const pod = h.twin.workloadIdentityPod(cluster, { namespace: 'default', serviceAccount: 'builder', clientId: identity.clientId })
      const wi = new WorkloadIdentityCredential({
        tenantId: S.TENANT_ID,
        clientId: identity.clientId,
        tokenFilePath: pod.tokenFile,
        authorityHost: h.twin.url,
        disableInstanceDiscovery: true
      })
      const error = await wi.getToken(S.ARM_SCOPE).catch((e: Error) => e)
      expect((error as Error).message).toContain(
        `Assertion Issuer: '${cluster.oidcIssuerUrl}'. Assertion Subject: 'system:serviceaccount:default:builder'.`
      )
    })

    it('refuses a cluster without an OIDC issuer: its tokens name the in-cluster issuer no one trusts', async () => {
      const plain = h.twin.addCluster({ subscriptionId: S.SUB, resourceGroup: 'runners', name: 'plain-aks', identity: 'managedIdentity' })
      const pod = h.twin.workloadIdentityPod(plain, { namespace: 'arc-runners', serviceAccount: 'runner', clientId: identity.clientId })
      const wi = new WorkloadIdentityCredential({
        tenantId: S.TENANT_ID,
        clientId: identity.clientId,
        tokenFilePath: pod.tokenFile,
        authorityHost: h.twin.url,
        disableInstanceDiscovery: true
      })
      const error = await wi.getToken(S.ARM_SCOPE).catch((e: Error) => e)
      expect((error as Error).message).toContain("Assertion Issuer: 'https://kubernetes.default.svc.cluster.local'")
    })

    it("refuses a token signed by another cluster's key with AADSTS50027", async () => {
      const other = h.twin.addCluster({
        subscriptionId: S.SUB,
        resourceGroup: 'runners',
        name: 'other-aks',
        identity: 'managedIdentity',
        oidcIssuer: true
      })
      const forged = h.twin.serviceAccountToken(other, { namespace: 'arc-runners', serviceAccount: 'runner' })
      const [header, , signature] = forged.split('.')
      const claims = { ...decodeJwt(forged)!.payload, iss: cluster.oidcIssuerUrl }
      const body = new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: identity.clientId,
        scope: S.ARM_SCOPE,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`
      })
      const res = await armFetch(h.twin, `/${S.TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        body,
        headers: { 'content-type': 'application/x-www-form-urlencoded' }
      })
      expect([res.status, res.body.error_codes]).toEqual([400, [50027]])
    })
  })
})
