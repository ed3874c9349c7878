import * as core from '@actions/core'
import { permissionsModeName, type Registry } from '../azure/registries.js'
import { createRegistry, readSettledRegistry } from '../azure/registry-create.js'
import type { Discovery } from '../plan/discovery.js'
import { describeRegistryPlan, type RegistryPlan } from '../plan/registry.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'

export interface RegistryRecord {
  plan: RegistryPlan
  /** The registry this run created (absent when it existed, in a dry run, or when creating failed). */
  created: Registry | undefined
}

/**
 * Creates the missing registry through the mutation gate (a dry run only says it would), then hands
 * ARM's own view of it to the modes that follow: its real login server and permissions mode.
 */
export async function carryOutRegistryPlan(
  plan: RegistryPlan,
  settings: Settings,
  session: AzureSession,
  discovery: Discovery,
  record: RegistryRecord
): Promise<void> {
  if (plan.action !== 'create' || !settings.registryCreation) return
  const { resource } = settings.registryCreation
  const deadline = Date.now() + settings.timeoutMs
  const outcome = await session.mutations.azure(
    describeRegistryPlan(plan),
    async (): Promise<{ created: Registry } | { kept: Registry }> => {
      // A PUT of an existing registry is an update that resets what it omits (network rules, policies):
      // a registry another run created since discovery is kept as it is.
      const raced = await readSettledRegistry(session.credential, session.cloud, resource, deadline)
      if (raced) return { kept: raced }
      return { created: await createRegistry(session.credential, session.cloud, plan.request, AbortSignal.timeout(deadline - Date.now())) }
    }
  )
  if (!outcome) return
  const registry: Registry = 'created' in outcome ? outcome.created : outcome.kept
  record.created = 'created' in outcome ? outcome.created : undefined
  discovery.registry = registry
  discovery.registryState = { exists: true }
  core.info(
    'created' in outcome
      ? `Created container registry ${registry.name}: ${registry.loginServer}, ${permissionsModeName(registry.permissionsMode)}`
      : `Registry ${registry.name} was created by someone else since it was looked for; it is kept as it is`
  )
}
