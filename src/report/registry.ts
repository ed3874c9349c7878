import { describeRegistryPlan } from '../plan/registry.js'
import { escape } from './markdown.js'
import type { OutputPart } from './outputs.js'
import type { RunRecord } from './run-record.js'

/** create-registry: what the registry phase found and did. */
export function registrySection(record: RunRecord): string[] {
  const phase = record.registry
  if (!phase) return []
  const { plan } = phase
  if (plan.action === 'keep') return ['### Registry', '', `\`${escape(plan.name)}\` exists; create-registry left it as it is.`, '']
  const { name, sku, location, resourceGroup } = plan.request
  if (phase.created) {
    return [
      '### Registry',
      '',
      `Created \`${escape(name)}\` (${sku}) in ${location}, resource group \`${escape(resourceGroup)}\`: \`${phase.created.loginServer}\`.`,
      ''
    ]
  }
  if (record.settings?.dryRun) return ['### Registry (dry run)', '', `Would ${escape(describeRegistryPlan(plan))}.`, '']
  return ['### Registry', '', `Did not ${escape(describeRegistryPlan(plan))}: see the error below.`, '']
}

/** The registry phase sets no outputs of its own; a created registry is a change. */
export const registryOutputs: OutputPart = {
  outputs: () => ({}),
  changed: (record) => record.registry?.created !== undefined
}
