import * as core from '@actions/core'
import { readFile } from 'node:fs/promises'
import { ClientAssertionCredential, type TokenCredential } from '@azure/identity'
import { ActionError } from '../errors.js'
import type { Cloud } from '../settings/clouds.js'
import type { WorkloadIdentitySignIn } from '../settings/sign-in-settings.js'
import { readClaims, type FederationClaims } from './federation-claims.js'
import { DEADLINE_POLICIES } from './request-deadline.js'

/**
 * The service account token the kubelet projects into a workload identity pod. It is read anew for
 * every exchange: the kubelet replaces it long before it expires, and a run that outlives one
 * token (a long rollout renewing its cluster token) must present the current one. The Azure SDK's
 * WorkloadIdentityCredential keeps the file's content for five minutes, which is why the action
 * builds its own assertion callback (docs/azure.md, "Workload identity").
 */
export class ServiceAccountToken {
  readonly path: string
  /** The claims of the last token read, to explain a refused exchange (issuer and subject, never the token). */
  lastClaims: FederationClaims | undefined
  /** Why the file could not be read, to explain a sign-in that never reached Entra ID. */
  lastError: ActionError | undefined

  constructor(path: string) {
    this.path = path
  }

  async read(): Promise<string> {
    let text: string
    try {
      text = (await readFile(this.path, 'utf8')).trim()
    } catch (error) {
      throw this.failed((error as NodeJS.ErrnoException).code ?? 'unreadable', (error as Error).message, error)
    }
    if (!text) throw this.failed('empty', 'the file is empty')
    core.setSecret(text)
    this.lastClaims = readClaims(text)
    this.lastError = undefined
    return text
  }

  private failed(code: string, detail: string, cause?: unknown): ActionError {
    this.lastError = new ActionError(`Could not read the workload identity token file ${this.path} (AZURE_FEDERATED_TOKEN_FILE)`, {
      code,
      detail,
      hint:
        'The kubelet projects it into pods the Azure workload identity webhook changed when they were created: ' +
        'label the runner pod azure.workload.identity/use: "true" and annotate its service account with azure.workload.identity/client-id, then recreate the pod',
      cause
    })
    return this.lastError
  }
}

/** An Entra ID credential that exchanges the runner pod's service account token, read fresh each time. */
export function workloadIdentityCredential(settings: WorkloadIdentitySignIn, cloud: Cloud, token: ServiceAccountToken): TokenCredential {
  return new ClientAssertionCredential(settings.tenantId, settings.clientId, () => token.read(), {
    authorityHost: settings.authorityHost ?? cloud.authorityHost,
    // Instance discovery only knows public clouds; private clouds and the test twin would fail it.
    disableInstanceDiscovery: true,
    additionalPolicies: DEADLINE_POLICIES
  })
}
