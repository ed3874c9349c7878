import * as core from '@actions/core'
import { clusterKubeconfig } from './azure/cluster-credentials.js'
import { signIn } from './azure/sign-in.js'
import { describeIdentity, METHOD_NAMES } from './azure/signed-in-identity.js'
import { loadManifests } from './kube/manifests.js'
import { MODES, needsOf, prepareRegistry, reportParts, type ModeDefinition, type RunContext } from './modes.js'
import { closeSharedAgent } from './net/http.js'
import { buildOutputs } from './report/outputs.js'
import { loginSecrets } from './plan/pull-secrets.js'
import { emptyRecord, type RunRecord } from './report/run-record.js'
import { buildSummary } from './report/summary.js'
import type { Mode } from './settings/modes.js'
import { readSettings } from './settings/settings.js'
import { createSession } from './steps/azure-session.js'
import { discover } from './steps/discover.js'
import { errorMessage } from './errors.js'

/**
 * One run: settings (refused before any request), the manifests (inputs too), sign-in, one
 * concurrent discovery of what the requested modes need, then each mode in `MODE_ORDER`: its pure
 * plan, then its carrying out. A report (outputs and job summary) always follows, however far the
 * run got. Each mode is one entry of `MODES`.
 */
export async function run(): Promise<void> {
  const record = emptyRecord()
  try {
    const settings = readSettings((name) => core.getInput(name), process.env)
    if (settings.imports.credentials) core.setSecret(settings.imports.credentials.password)
    for (const login of settings.deploy.registryLogins) for (const secret of loginSecrets(login)) core.setSecret(secret)
    record.settings = settings
    const needs = needsOf(settings)
    if (needs.manifests)
      record.discovery.manifests = await loadManifests(settings.deploy.manifests, process.env.GITHUB_WORKSPACE ?? process.cwd())

    // `auto` knows whether the machine's identity is there only once the metadata service answers.
    const way = settings.signIn.method === 'managed-identity' && settings.signIn.auto ? '' : ` with ${METHOD_NAMES[settings.signIn.method]}`
    const signedIn = await core.group(`Sign in to Azure${way}`, async () => {
      const result = await signIn(settings.signIn, settings.cloud)
      core.info(
        `Signed in as ${describeIdentity(result.identity)} in tenant ${result.identity.tenantId ?? 'unknown'} (${settings.cloud.name})`
      )
      return result
    })
    record.signedIn = signedIn.identity
    const { tenantId, objectId } = signedIn.identity
    const session = createSession(signedIn.credential, settings.cloud, tenantId ?? '', settings.subscriptionId, objectId, settings.dryRun)
    if (settings.dryRun) core.notice('Dry run: reading and planning only; nothing in Azure or the cluster will change')

    // The kubeconfig needs only the cluster's name, so it is fetched alongside discovery.
    const kubeconfig =
      needs.kubeconfig && settings.cluster
        ? clusterKubeconfig(session.credential, session.cloud, settings.cluster, settings.deploy.admin)
        : undefined
    kubeconfig?.catch(() => undefined)
    const discovery = await core.group('Find the registry and what the modes need', () =>
      discover(settings, session, needs, record.discovery)
    )
    const context: RunContext = { settings, session, discovery, kubeconfig }
    await prepareRegistry(context, record)
    for (const mode of settings.modes) await carryOut(mode, MODES[mode], context, record)
  } catch (error) {
    record.error = error instanceof Error ? error : new Error(String(error))
    if (record.error.cause instanceof Error) core.debug(`Cause: ${record.error.cause.stack ?? record.error.cause.message}`)
    core.setFailed(record.error.message)
  } finally {
    await report(record)
    closeSharedAgent()
  }
}

async function carryOut<M extends Mode>(mode: M, definition: ModeDefinition<M>, context: RunContext, record: RunRecord): Promise<void> {
  const plan = definition.plan(context.settings, context.discovery, record)
  ;(record.plans as Record<M, typeof plan>)[mode] = plan
  await core.group(definition.title(plan, context), () => definition.carryOut(plan, context, record))
}

async function report(record: RunRecord): Promise<void> {
  const { sections, outputs } = reportParts(record)
  for (const [name, value] of Object.entries(buildOutputs(record, outputs))) core.setOutput(name, value)
  // Outside a runner (local runs) there is no summary file; the log already says everything.
  if (!process.env.GITHUB_STEP_SUMMARY) return
  try {
    await core.summary.addRaw(buildSummary(record, sections), true).write()
  } catch (error) {
    core.warning(`Could not write the job summary: ${errorMessage(error)}`)
  }
}
