import type { Discovery } from '../plan/discovery.js'
import type { ImportDiscovery } from '../plan/import-discovery.js'
import type { ImportDecision } from '../plan/import-plan.js'
import type { Plan } from '../plan/plan.js'
import type { Settings } from '../settings/settings.js'
import type { StepResult } from '../steps/apply-plan.js'
import type { ImportResult } from '../steps/run-imports.js'

/** Everything a run learned and did, complete or not: the report is built from this alone. */
export interface RunRecord {
  settings: Settings | undefined
  discovery: Partial<Discovery>
  /** The attach/detach plan. */
  plan: Plan | undefined
  steps: StepResult[]
  imports: { discovery?: ImportDiscovery; decisions?: ImportDecision[]; results?: ImportResult[] }
  error: Error | undefined
}

export function emptyRecord(): RunRecord {
  return { settings: undefined, discovery: {}, plan: undefined, steps: [], imports: {}, error: undefined }
}
