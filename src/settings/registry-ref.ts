import { InputError } from '../errors.js'
import { looksLikeResourceId, parseResourceId, type ResourceId } from './resource-id.js'

/** How the workflow named the registry; each form is looked up differently. */
export type RegistryRef =
  { kind: 'id'; resource: ResourceId } | { kind: 'name'; name: string } | { kind: 'login-server'; loginServer: string }

/** ACR's rule: 5 to 50 letters and digits, nothing else (no hyphens, no dots). */
export function isRegistryName(value: string): boolean {
  return /^[a-zA-Z0-9]{5,50}$/.test(value)
}

export function parseRegistryRef(raw: string, acrSuffix: string): RegistryRef {
  const value = raw.trim()
  if (looksLikeResourceId(value)) {
    const resource = parseResourceId('registry', value, 'Microsoft.ContainerRegistry/registries')
    if (!isRegistryName(resource.name)) {
      throw new InputError('registry', `'${resource.name}' cannot be an Azure Container Registry name (5-50 letters and digits)`)
    }
    return { kind: 'id', resource }
  }

  // People paste what `docker login` or the portal shows them: strip a scheme and a trailing path.
  const host = value
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\/.*$/, '')
    .toLowerCase()
  if (host.includes('.')) {
    const [firstLabel] = host.split('.')
    if (!host.endsWith(`.${acrSuffix}`)) {
      throw new InputError(
        'registry',
        `'${value}' is not an Azure Container Registry login server for this cloud (expected <name>.${acrSuffix}); check 'environment' or give the registry's name or resource ID`
      )
    }
    // A login server with a domain name label (`name-hash.azurecr.io`) keeps the name before the hyphen.
    const name = firstLabel!.split('-')[0]!
    if (!isRegistryName(name) || host.split('.').length !== acrSuffix.split('.').length + 1) {
      throw new InputError('registry', `'${value}' is not a valid login server (expected <name>.${acrSuffix})`)
    }
    return { kind: 'login-server', loginServer: host }
  }

  if (!isRegistryName(value)) {
    throw new InputError(
      'registry',
      `'${value}' cannot be an Azure Container Registry name: names are 5-50 letters and digits (no hyphens, dots or underscores)`
    )
  }
  return { kind: 'name', name: value }
}
