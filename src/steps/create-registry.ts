import * as core from '@actions/core'
import { permissionsModeName, type Registry } from '../azure/registries.js'
import { createRegistry } from '../azure/registry-create.js'
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
  if (plan.action !== 'create') return
  const created = await session.mutations.azure(describeRegistryPlan(plan), () =>
    createRegistry(session.credential, session.cloud, plan.request, AbortSignal.timeout(settings.timeoutMs))
  )
  if (!created) return
  record.created = created
  discovery.registry = created
  discovery.registryState = { exists: true }
  core.info(`Created container registry ${created.name}: ${created.loginServer}, ${permissionsModeName(created.permissionsMode)}`)
}
