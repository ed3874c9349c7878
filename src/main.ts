import * as core from '@actions/core'
import { signIn } from './azure/sign-in.js'
import { buildPlan } from './plan/plan.js'
import { buildOutputs } from './report/outputs.js'
import type { RunRecord } from './report/run-record.js'
import { buildSummary } from './report/summary.js'
import { readSettings } from './settings/settings.js'
import { applyStep } from './steps/apply-plan.js'
import { createSession } from './steps/azure-session.js'
import { discover } from './steps/discover.js'

const STEP_TITLES = { attach: 'Attach the registry to the cluster', detach: 'Detach the registry from the cluster' } as const

export async function run(): Promise<void> {
  const record: RunRecord = { settings: undefined, discovery: {}, plan: undefined, steps: [], error: undefined }
  try {
    const settings = readSettings((name) => core.getInput(name), process.env)
    record.settings = settings

    const signedIn = await core.group('Sign in to Azure with GitHub OIDC', async () => {
      const result = await signIn(settings.signIn, settings.cloud)
      core.info(`Signed in as client ${settings.signIn.clientId} (object ID ${result.callerObjectId ?? 'unknown'}) in ${settings.cloud.name}`)
      return result
    })
    const session = createSession(signedIn.credential, settings.cloud, settings.cluster.subscriptionId, signedIn.callerObjectId)

    const discovery = await core.group('Find the cluster and the registry', () => discover(settings, session, record.discovery))
    const plan = buildPlan(settings, discovery)
    record.plan = plan

    for (const step of plan.steps) {
      const result = await core.group(STEP_TITLES[step.mode], async () => {
        for (const note of step.notes) core.info(`Note: ${note}`)
        return applyStep(step, session)
      })
      record.steps.push(result)
    }
  } catch (error) {
    record.error = error instanceof Error ? error : new Error(String(error))
    if (record.error.cause instanceof Error) core.debug(`Cause: ${record.error.cause.stack ?? record.error.cause.message}`)
    core.setFailed(record.error.message)
  } finally {
    await report(record)
  }
}

async function report(record: RunRecord): Promise<void> {
  for (const [name, value] of Object.entries(buildOutputs(record))) core.setOutput(name, value)
  // Outside a runner (local runs) there is no summary file; the log already says everything.
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(buildSummary(record), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`)
  }
}
