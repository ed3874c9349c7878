import type { PipelinePolicy } from '@azure/core-rest-pipeline'
import type { Cloud } from '../settings/clouds.js'
import { defaultScope } from '../settings/clouds.js'
import { AZURE_REQUEST_TIMEOUT_MS, deadlinePolicies } from './request-deadline.js'

/** api-versions pinned to what the twin and the real services were checked against (docs/azure.md). */
export const API_VERSIONS = {
  containerService: '2025-10-01',
  /** The first ACR version that returns `roleAssignmentMode`; older ones hide ABAC-mode registries. */
  containerRegistry: '2025-11-01',
  authorization: '2022-04-01',
  subscriptions: '2022-12-01'
} as const

/**
 * Options for the modular ARM clients. The scope is set from the cloud's audience because, with a
 * custom endpoint, some clients would otherwise ask for `<endpoint>/.default` (docs/azure.md).
 */
export function modularClientOptions(
  cloud: Cloud,
  apiVersion: string,
  overrides: { requestTimeoutMs?: number; perRetryPolicies?: PipelinePolicy[] } = {}
) {
  return {
    endpoint: cloud.armEndpoint,
    credentials: { scopes: [defaultScope(cloud.armAudience)] },
    apiVersion,
    userAgentOptions: { userAgentPrefix: 'aks-acr-action' },
    additionalPolicies: [
      ...deadlinePolicies(overrides.requestTimeoutMs ?? AZURE_REQUEST_TIMEOUT_MS),
      ...(overrides.perRetryPolicies ?? []).map((policy) => ({ policy, position: 'perRetry' as const }))
    ]
  }
}
