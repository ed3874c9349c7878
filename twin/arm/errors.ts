import type { TwinResponse } from '../http.ts'

/** ARM's error body (common-types v5 ErrorResponse). */
export function armError(status: number, code: string, message: string, headers?: Record<string, string>): TwinResponse {
  return { status, headers, body: { error: { code, message } } }
}

export const subscriptionNotFound = (sub: string) => armError(404, 'SubscriptionNotFound', `The subscription '${sub}' could not be found.`)

export const resourceGroupNotFound = (rg: string) => armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`)

export const resourceNotFound = (type: string, name: string, rg: string) =>
  armError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`
  )

export const authorizationFailed = (appid: string, oid: string, action: string, scope: string) =>
  armError(
    403,
    'AuthorizationFailed',
    `The client '${appid}' with object id '${oid}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`
  )

export const throttled = (retryAfterSeconds = 1) =>
  armError(
    429,
    'TooManyRequests',
    'The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/armthrottling',
    { 'Retry-After': String(retryAfterSeconds) }
  )

export const noRegisteredProvider = (path: string, apiVersion: string | undefined) =>
  armError(
    404,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location 'global' and API version '${apiVersion ?? ''}' for path '${path}'.`
  )

export const missingApiVersion = () =>
  armError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.')
