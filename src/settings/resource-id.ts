import { InputError } from '../errors.js'

/** The parts of an ARM resource ID that this action addresses resources by. */
export interface ResourceId {
  id: string
  subscriptionId: string
  resourceGroup: string
  provider: string
  type: string
  name: string
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export function isGuid(value: string): boolean {
  return GUID.test(value)
}

export function looksLikeResourceId(value: string): boolean {
  return value.trim().toLowerCase().startsWith('/subscriptions/')
}

/**
 * Parses `/subscriptions/{s}/resourceGroups/{rg}/providers/{ns}/{type}/{name}` and insists on
 * the expected type, so a registry ID pasted into `cluster` fails here rather than as a 404.
 */
export function parseResourceId(input: string, value: string, expectedType: string): ResourceId {
  const trimmed = value.trim().replace(/\/+$/, '')
  const parts = trimmed.split('/')
  const example = `/subscriptions/<subscription-id>/resourceGroups/<group>/providers/${expectedType}/<name>`
  const malformed = (why: string): InputError =>
    new InputError(input, `'${value}' is not a valid resource ID (${why}); expected ${example}`)

  if (parts.length !== 9 || parts[0] !== '') throw malformed('wrong number of segments')
  const [, subscriptions, subscriptionId, resourceGroups, resourceGroup, providers, namespace, type, name] = parts as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string
  ]
  if (subscriptions.toLowerCase() !== 'subscriptions') throw malformed("it must start with '/subscriptions/'")
  if (!isGuid(subscriptionId)) throw malformed(`'${subscriptionId}' is not a subscription ID`)
  if (resourceGroups.toLowerCase() !== 'resourcegroups') throw malformed("'resourceGroups' segment missing")
  if (!isResourceGroupName(resourceGroup)) throw malformed(`'${resourceGroup}' is not a resource group name`)
  if (providers.toLowerCase() !== 'providers') throw malformed("'providers' segment missing")
  const actualType = `${namespace}/${type}`
  if (actualType.toLowerCase() !== expectedType.toLowerCase()) {
    throw malformed(`it names a ${actualType}, not a ${expectedType}`)
  }
  if (name.length === 0) throw malformed('the name is empty')
  return {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${expectedType}/${name}`,
    subscriptionId: subscriptionId.toLowerCase(),
    resourceGroup,
    provider: namespace,
    type: actualType,
    name
  }
}

/** Azure's rule: 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period. */
export function isResourceGroupName(value: string): boolean {
  return /^[-\w._()\p{L}]{1,90}$/u.test(value) && !value.endsWith('.')
}
