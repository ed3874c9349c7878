import { ClientAssertionCredential } from '@azure/identity'
import type { TokenCredential } from '@azure/core-auth'
import { startTwin } from '../../twin/index.ts'
import type { Twin, TwinOptions } from '../../twin/index.ts'
import { SCENARIO, seedScenario } from '../../twin/scenario.ts'
import type { Scenario, ScenarioOptions } from '../../twin/scenario.ts'
import { trustTwinCa } from '../../twin/trust.ts'
import type { GithubClaims } from '../../twin/github-oidc.ts'

export { SCENARIO }

export interface Harness {
  twin: Twin
  scenario: Scenario
  close(): Promise<void>
}

export async function startSeeded(options: TwinOptions = {}, scenarioOptions: ScenarioOptions = {}): Promise<Harness> {
  const twin = await startTwin(options)
  const untrust = trustTwinCa(twin.caPem)
  const scenario = seedScenario(twin, scenarioOptions)
  return {
    twin,
    scenario,
    async close() {
      untrust()
      await twin.close()
    }
  }
}

/** What @actions/core getIDToken does: ask the runner's endpoint for a fresh token each time. */
export async function fetchGithubToken(twin: Twin, requestToken: string, audience: string = SCENARIO.AUDIENCE): Promise<string> {
  const res = await fetch(`${twin.github.requestUrl}&audience=${encodeURIComponent(audience)}`, {
    headers: { Authorization: `Bearer ${requestToken}` }
  })
  if (!res.ok) throw new Error(`OIDC endpoint answered ${res.status}`)
  return ((await res.json()) as { value: string }).value
}

export interface CredentialOptions {
  tenantId?: string
  clientId?: string
  claims?: Partial<GithubClaims>
  audience?: string
  forge?: 'unsigned' | 'wrong-key'
}

/** The action's sign-in, as the lead's code does it: ClientAssertionCredential against the twin's authority. */
export function credential(twin: Twin, o: CredentialOptions = {}): TokenCredential {
  const requestToken = twin.github.requestToken(o.claims ?? {}, o.forge ? { forge: o.forge } : {})
  return new ClientAssertionCredential(
    o.tenantId ?? SCENARIO.TENANT_ID,
    o.clientId ?? SCENARIO.CLIENT_ID,
    () => fetchGithubToken(twin, requestToken, o.audience),
    { authorityHost: twin.url, disableInstanceDiscovery: true }
  )
}

/** A second app in the scenario tenant that can sign in, holding whatever roles a test gives it. */
export function addCaller(twin: Twin, clientId: string, subject: string, graphRead = false) {
  return twin.addApp({
    tenantId: SCENARIO.TENANT_ID,
    clientId,
    federatedCredentials: [{ issuer: SCENARIO.ISSUER, subject, audiences: [SCENARIO.AUDIENCE] }],
    graphRead
  })
}

export async function armFetch(twin: Twin, path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers)
  if (init.token) headers.set('Authorization', `Bearer ${init.token}`)
  const res = await fetch(`${twin.url}${path}`, { ...init, headers })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined }
}
