import type { SignedInIdentity } from '../azure/signed-in-identity.js'
import type { AssignmentPlan } from '../plan/assignments.js'
import type { CheckPlan } from '../plan/check.js'
import type { DeployPlan } from '../plan/deploy.js'
import type { Discovery } from '../plan/discovery.js'
import type { ImportDecision } from '../plan/import-plan.js'
import type { Mode } from '../settings/modes.js'
import type { Settings } from '../settings/settings.js'
import type { StepResult } from '../steps/assignments.js'
import type { CheckRecord } from '../steps/check.js'
import type { DeployRecord } from '../steps/deploy.js'
import type { ImportResult } from '../steps/run-imports.js'
import type { RegistryRecord } from '../steps/create-registry.js'

/** Each mode's plan and what carrying it out gave. */
export interface ModeRecords {
  attach: { plan: AssignmentPlan; result: StepResult }
  detach: { plan: AssignmentPlan; result: StepResult }
  import: { plan: ImportDecision[]; result: ImportResult[] }
  check: { plan: CheckPlan; result: CheckRecord }
  deploy: { plan: DeployPlan; result: DeployRecord }
}

/** Everything a run learned and did, complete or not: the report is built from this alone. */
export interface RunRecord {
  settings: Settings | undefined
  /** Who the run signed in as, once it has. */
  signedIn: SignedInIdentity | undefined
  discovery: Partial<Discovery>
  plans: { [M in Mode]?: ModeRecords[M]['plan'] }
  /** Filled as each mode goes, so a failure part-way still shows what happened. */
  results: { [M in Mode]?: ModeRecords[M]['result'] }
  error: Error | undefined
  /** `create-registry`: the registry phase before the modes (absent without it). */
  registry?: RegistryRecord
}

export function emptyRecord(): RunRecord {
  return { settings: undefined, signedIn: undefined, discovery: {}, plans: {}, results: {}, error: undefined }
}
