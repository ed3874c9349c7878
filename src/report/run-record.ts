import type { Discovery } from '../plan/discovery.js'
import type { Plan } from '../plan/plan.js'
import type { Settings } from '../settings/settings.js'
import type { StepResult } from '../steps/apply-plan.js'

/** Everything a run learned and did, complete or not: the report is built from this alone. */
export interface RunRecord {
  settings: Settings | undefined
  discovery: Partial<Discovery>
  plan: Plan | undefined
  steps: StepResult[]
  error: Error | undefined
}
