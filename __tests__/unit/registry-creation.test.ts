import { describe, expect, it } from '@jest/globals'
import { planRegistry } from '../../src/plan/registry.js'
import { registryOutputs, registrySection } from '../../src/report/registry.js'
import { emptyRecord } from '../../src/report/run-record.js'
import { discoveryWith, refusal, REGISTRY_ID, settingsFor, SUB } from './fixtures.js'

describe('create-registry inputs', () => {
  it("is off by default; the runner's default SKU alone does not turn it on", () => {
    expect(settingsFor().registryCreation).toBeUndefined()
    expect(settingsFor({ 'create-registry': 'false', 'registry-sku': 'Basic' }).registryCreation).toBeUndefined()
  })

  it("creates a registry given by name in resource-group and subscription-id, Basic in the cluster's region by default", () => {
    expect(settingsFor({ 'create-registry': 'true' }).registryCreation).toEqual({
      resource: {
        id: REGISTRY_ID,
        subscriptionId: SUB,
        resourceGroup: 'myResourceGroup',
        provider: 'Microsoft.ContainerRegistry',
        type: 'Microsoft.ContainerRegistry/registries',
        name: 'myacr01'
      },
      sku: 'Basic',
      location: undefined
    })
  })

  it('reads the SKU without case and a region by its display name', () => {
    const creation = settingsFor({
      'create-registry': 'true',
      'registry-sku': 'premium',
      'registry-location': 'West Europe'
    }).registryCreation!
    expect([creation.sku, creation.location]).toEqual(['Premium', 'westeurope'])
  })

  it("creates a registry given by resource ID in the ID's resource group", () => {
    const id = `/subscriptions/${SUB}/resourceGroups/acr-rg/providers/Microsoft.ContainerRegistry/registries/teamacr`
    expect(settingsFor({ 'create-registry': 'true', registry: id }).registryCreation!.resource.resourceGroup).toBe('acr-rg')
  })

  it.each([
    ['registry-sku', { 'registry-sku': 'Premium' }, "'create-registry' is not true"],
    ['registry-location', { 'registry-location': 'eastus' }, "'create-registry' is not true"],
    ['registry-sku', { 'create-registry': 'true', 'registry-sku': 'Gold' }, "'Gold' is not a registry SKU; use Basic, Standard, Premium"],
    ['registry-location', { 'create-registry': 'true', 'registry-location': 'west/europe' }, 'is not an Azure region name'],
    ['create-registry', { 'create-registry': 'true', registry: 'myacr01.azurecr.io' }, "not the login server 'myacr01.azurecr.io'"],
    [
      'registry-location',
      { 'create-registry': 'true', mode: 'import', images: 'nginx', cluster: '', 'resource-group': 'rg' },
      'no mode reads a cluster'
    ],
    ['create-registry', { 'create-registry': 'maybe' }, "'maybe' is not a boolean"]
  ])('refuses %s: %j', (input, inputs, words) => {
    const error = refusal(inputs)
    expect(error.input).toBe(input)
    expect(error.message).toContain(words)
  })
})

describe('registry plan', () => {
  const creation = settingsFor({ 'create-registry': 'true', 'registry-sku': 'Standard' }).registryCreation!

  it('keeps a registry that exists, whatever SKU or region the inputs ask for', () => {
    expect(planRegistry(creation, { ...discoveryWith([]), registryState: { exists: true } })).toEqual({
      action: 'keep',
      id: REGISTRY_ID,
      name: 'myacr01'
    })
  })

  it("creates a missing one in the cluster's region unless registry-location says otherwise", () => {
    const missing = { ...discoveryWith([]), registryState: { exists: false as const, nameCheck: { available: true as const } } }
    expect(planRegistry(creation, missing)).toEqual({
      action: 'create',
      request: { subscriptionId: SUB, resourceGroup: 'myResourceGroup', name: 'myacr01', location: 'westeurope', sku: 'Standard' },
      nameCheck: { available: true }
    })
    expect(planRegistry({ ...creation, location: 'eastus2' }, missing)).toMatchObject({ request: { location: 'eastus2' } })
  })

  it('reports what it did, and counts only a created registry as a change', () => {
    const record = emptyRecord()
    record.settings = settingsFor({ 'create-registry': 'true' })
    const plan = planRegistry(creation, { ...discoveryWith([]), registryState: { exists: false, nameCheck: { available: true } } })
    record.registry = { plan, created: undefined }
    expect(registrySection(record).join('\n')).toContain('Did not create container registry myacr01 (Standard) in westeurope')
    expect(registryOutputs.changed(record)).toBe(false)
    record.registry.created = discoveryWith([]).registry
    expect(registrySection(record).join('\n')).toContain(
      'Created `myacr01` (Standard) in westeurope, resource group `myResourceGroup`: `myacr01.azurecr.io`.'
    )
    expect(registryOutputs.changed(record)).toBe(true)
  })
})
