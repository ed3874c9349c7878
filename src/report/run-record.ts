import type { Discovery } from '../plan/discovery.js'
import type { ImportDiscovery } from '../plan/import-discovery.js'
import type { ImportDecision } from '../plan/import-plan.js'
import type { Plan } from '../plan/plan.js'
import type { Settings } from '../settings/settings.js'
import type { StepResult } from '../steps/apply-plan.js'
import type { ImportResult } from '../steps/run-imports.js'
import type { DeployRecord } from '../steps/deploy.js'
import type { CheckReason, CheckVerdict } from '../plan/check-verdict.js'

/** Everything a run learned and did, complete or not: the report is built from this alone. */
export interface RunRecord {
  settings: Settings | undefined
  discovery: Partial<Discovery>
  /** The attach/detach plan. */
  plan: Plan | undefined
  steps: StepResult[]
  imports: { discovery?: ImportDiscovery; decisions?: ImportDecision[]; results?: ImportResult[] }
  deploy: DeployRecord | undefined
  check: { verdict?: CheckVerdict; probe?: CheckReason }
  error: Error | undefined
}

export function emptyDeployRecord(): DeployRecord {
  return { applied: [], rewrites: [], workloads: [], verdict: undefined, diagnosis: undefined, waits: [], rollbacks: [], kubeconfigPath: undefined }
}

export function emptyRecord(): RunRecord {
  return { settings: undefined, discovery: {}, plan: undefined, steps: [], imports: {}, deploy: undefined, check: {}, error: undefined }
}
