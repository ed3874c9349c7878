import { randomUUID } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Registry } from '../state.ts'
import { AKS_REGIONS } from '../tls.ts'
import { authorize, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps, Caller } from './context.ts'
import { armError, resourceGroupNotFound } from './errors.ts'
import { registryJson } from './registries.ts'
import { startProvisioning } from './registry-provisioning.ts'

/**
 * Creating a registry as ACR answers it (azure-cli recording of `az acr create`, 2025): `PUT
 * …/registries/{name}` answers 201 with the registry in `provisioningState: Creating` and an
 * `Azure-AsyncOperation` header to `…/registries/{name}/operationStatuses/registries-{id}`, which
 * answers `{"status":"Succeeded"}` once done; the SDK's poller then GETs the registry.
 * `POST /subscriptions/{s}/providers/Microsoft.ContainerRegistry/checkNameAvailability` answers
 * whether a name is free: names are global, so a registry of any tenant holds its name
 * (RegistryCheckNameNotAvailable.json: `The registry myRegistry is already in use.`).
 */
const WRITE = 'Microsoft.ContainerRegistry/registries/write'
const CHECK_NAME = 'Microsoft.ContainerRegistry/checkNameAvailability/read'
const SKUS = ['Basic', 'Standard', 'Premium']
const REGISTRY_PATH = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)$/i

const isRegistryName = (name: string) => /^[a-zA-Z0-9]{5,50}$/.test(name)

/** Any registry of any tenant holding this name: ACR names and login servers are global. */
const holderOf = (registries: Registry[], name: string) => registries.find((r) => r.name.toLowerCase() === name.toLowerCase())

interface Operation {
  subscriptionId: string
  registryId: string
  done: number
}

const operations = new WeakMap<object, Map<string, Operation>>()
const opsOf = (key: object) => {
  let m = operations.get(key)
  if (!m) operations.set(key, (m = new Map()))
  return m
}

function parseBody(req: TwinRequest): Record<string, any> | TwinResponse {
  try {
    const body = JSON.parse(req.body.toString('utf8') || '{}')
    if (typeof body === 'object' && body !== null && !Array.isArray(body)) return body
  } catch {
    /* answered below */
  }
  return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
}

export function registerRegistryCreate(router: Router, deps: ArmDeps) {
  const { state } = deps
  const gate = (req: TwinRequest, sub: string): Caller | TwinResponse => subscriptionCaller(deps, req, sub)

  router.on('PUT', REGISTRY_PATH, (req, m) => {
    const [, sub, rg, name] = m
    const caller = gate(req, sub)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, WRITE, req.path)
    if (denied) return denied
    const group = state.resourceGroup(sub, rg)
    if (!group) return resourceGroupNotFound(rg)
    const body = parseBody(req)
    if (isResponse(body)) return body
    if (!isRegistryName(name)) {
      return armError(400, 'InvalidParameter', `Registry name '${name}' is invalid: it must be 5-50 alphanumeric characters.`)
    }
    const location = typeof body.location === 'string' ? body.location.replace(/\s+/g, '').toLowerCase() : ''
    if (!location) return armError(400, 'LocationRequired', 'The location property is required for this definition.')
    if (!AKS_REGIONS.includes(location)) {
      return armError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${body.location}' is not available for resource type 'Microsoft.ContainerRegistry/registries'. List of available regions for the resource type is '${AKS_REGIONS.join(',')}'.`
      )
    }
    const sku = String(body.sku?.name ?? '')
    if (!SKUS.includes(sku)) return armError(400, 'InvalidParameter', `The SKU '${sku}' is invalid. Valid SKUs are: ${SKUS.join(', ')}.`)
    const apiVersion = req.query['api-version']

    const existing = state.registry(sub, rg, name)
    if (existing) {
      // A PUT of an existing registry updates it in place.
      existing.sku = sku as Registry['sku']
      return { status: 200, body: registryJson(existing, apiVersion, state) }
    }
    if (holderOf(state.registries, name)) {
      return armError(
        409,
        'AlreadyInUse',
        `The registry DNS name ${name.toLowerCase()}.azurecr.io is already in use. You can check if the name is already claimed using following API: https://docs.microsoft.com/en-us/rest/api/containerregistry/registries/checknameavailability`
      )
    }
    const mode =
      body.properties?.roleAssignmentMode === 'AbacRepositoryPermissions' ? 'AbacRepositoryPermissions' : 'LegacyRegistryPermissions'
    const created = state.addRegistry({
      subscriptionId: sub,
      resourceGroup: group.name,
      name,
      location,
      sku: sku as Registry['sku'],
      roleAssignmentMode: mode
    })
    created.adminUserEnabled = body.properties?.adminUserEnabled === true
    const done = startProvisioning(state, created, state.registryCreateMs)
    const id = `registries-${randomUUID()}`
    opsOf(state).set(id, { subscriptionId: sub, registryId: created.id, done })
    const operation = `${req.baseUrl}${created.id}/operationStatuses/${id}?api-version=${encodeURIComponent(apiVersion)}`
    return { status: 201, headers: { 'Azure-AsyncOperation': operation }, body: registryJson(created, apiVersion, state) }
  })

  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)\/operationStatuses\/([^/]+)$/i,
    (req, m) => {
      const caller = gate(req, m[1])
      if (isResponse(caller)) return caller
      const op = opsOf(state).get(m[4])
      if (!op || op.subscriptionId.toLowerCase() !== m[1].toLowerCase())
        return armError(404, 'NotFound', `The operation '${m[4]}' was not found.`)
      return { status: 200, body: { status: Date.now() < op.done ? 'InProgress' : 'Succeeded' } }
    }
  )

  router.on('POST', /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/checkNameAvailability$/i, (req, m) => {
    const [, sub] = m
    const caller = gate(req, sub)
    if (isResponse(caller)) return caller
    const denied = authorize(deps, caller, CHECK_NAME, `/subscriptions/${sub}`)
    if (denied) return denied
    const body = parseBody(req)
    if (isResponse(body)) return body
    if (body.type !== 'Microsoft.ContainerRegistry/registries') {
      return armError(
        400,
        'InvalidParameter',
        `The resource type '${String(body.type)}' is invalid. It must be 'Microsoft.ContainerRegistry/registries'.`
      )
    }
    const name = String(body.name ?? '')
    if (!isRegistryName(name)) {
      return {
        status: 200,
        body: { nameAvailable: false, reason: 'Invalid', message: 'The registry name must be 5-50 alphanumeric characters.' }
      }
    }
    if (holderOf(state.registries, name)) {
      return { status: 200, body: { nameAvailable: false, reason: 'AlreadyExists', message: `The registry ${name} is already in use.` } }
    }
    return { status: 200, body: { nameAvailable: true } }
  })
}
