import * as core from '@actions/core'
import { ActionError } from './azure/action-error.js'
import { signIn } from './azure/sign-in.js'
import { planImports } from './plan/import-plan.js'
import { buildPlan } from './plan/plan.js'
import { buildOutputs } from './report/outputs.js'
import { emptyRecord, type RunRecord } from './report/run-record.js'
import { buildSummary } from './report/summary.js'
import { readSettings, type Settings } from './settings/settings.js'
import { applyStep } from './steps/apply-plan.js'
import { createSession, type AzureSession } from './steps/azure-session.js'
import { discoverAccess, discoverRegistry } from './steps/discover.js'
import { discoverImports } from './steps/discover-imports.js'
import { runImports } from './steps/run-imports.js'
import { clusterKubeconfig } from './azure/cluster-credentials.js'
import { loadManifests } from './kube/manifests.js'
import type { Manifest } from './kube/kube-object.js'
import { emptyDeployRecord } from './report/run-record.js'
import { deploy } from './steps/deploy.js'
import { closeSharedAgent } from './net/https-request.js'
import { importedDigests } from './report/import-outputs.js'

const STEP_TITLES = { attach: 'Attach the registry to the cluster', detach: 'Detach the registry from the cluster' } as const

export async function run(): Promise<void> {
  const record = emptyRecord()
  try {
    const settings = readSettings((name) => core.getInput(name), process.env)
    if (settings.imports.credentials) core.setSecret(settings.imports.credentials.password)
    record.settings = settings
    // Manifests are inputs too: a missing file or bad YAML fails before any request.
    const manifests = settings.modes.includes('deploy') ? await loadManifests(settings.deploy.manifests, process.env.GITHUB_WORKSPACE ?? process.cwd()) : []

    const signedIn = await core.group('Sign in to Azure with GitHub OIDC', async () => {
      const result = await signIn(settings.signIn, settings.cloud)
      core.info(`Signed in as client ${settings.signIn.clientId} (object ID ${result.callerObjectId ?? 'unknown'}) in ${settings.cloud.name}`)
      return result
    })
    const session = createSession(signedIn.credential, settings.cloud, settings.subscriptionId, signedIn.callerObjectId)
    // The kubeconfig depends only on the cluster's name: fetch it alongside discovery.
    const kubeconfig =
      settings.modes.includes('deploy') && settings.cluster
        ? clusterKubeconfig(session.credential, session.cloud, settings.cluster, settings.deploy.admin)
        : undefined
    kubeconfig?.catch(() => undefined)
    await core.group('Find the registry and what the modes need', () => discover(settings, session, record))
    await carryOut(settings, session, record)
    if (kubeconfig) await deployManifests(settings, session, record, manifests, kubeconfig)
  } catch (error) {
    record.error = error instanceof Error ? error : new Error(String(error))
    if (record.error.cause instanceof Error) core.debug(`Cause: ${record.error.cause.stack ?? record.error.cause.message}`)
    core.setFailed(record.error.message)
  } finally {
    await report(record)
    closeSharedAgent()
  }
}

/** Reads everything the requested modes need, concurrently, and plans before anything changes. */
async function discover(settings: Settings, session: AzureSession, record: RunRecord): Promise<void> {
  const registry = discoverRegistry(settings, session, record.discovery)
  const needsAccess = settings.modes.some((mode) => mode === 'attach' || mode === 'detach' || mode === 'deploy')
  const access = needsAccess && settings.cluster ? discoverAccess(settings.cluster, session, registry, record.discovery) : undefined
  const imports = settings.modes.includes('import')
    ? registry.then((found) => discoverImports(settings, session, found)).then((found) => (record.imports.discovery = found))
    : undefined
  const [accessResult, , importResult] = await Promise.allSettled([access, registry, imports])
  for (const result of [accessResult, importResult]) if (result.status === 'rejected') throw result.reason
  await registry

  if (accessResult.status === 'fulfilled' && accessResult.value) record.plan = buildPlan(settings, accessResult.value)
  if (record.imports.discovery) record.imports.decisions = planImports(record.imports.discovery, settings.imports.mode)
}

async function carryOut(settings: Settings, session: AzureSession, record: RunRecord): Promise<void> {
  for (const step of record.plan?.steps ?? []) {
    const result = await core.group(STEP_TITLES[step.mode], async () => {
      for (const note of step.notes) core.info(`Note: ${note}`)
      return applyStep(step, session)
    })
    record.steps.push(result)
  }
  const decisions = record.imports.decisions
  if (decisions) {
    const registry = record.discovery.registry!
    const results = await core.group(`Import ${decisions.length} image(s) into ${registry.loginServer}`, () => runImports(decisions, settings, session, registry))
    record.imports.results = results
    const failed = results.filter((result) => result.error)
    if (failed.length > 0) {
      throw new ActionError(`${failed.length} of ${results.length} import(s) failed`, { detail: failed.map((result) => result.error).join('; ') })
    }
  }
}

async function deployManifests(settings: Settings, session: AzureSession, record: RunRecord, manifests: Manifest[], kubeconfig: Promise<string>): Promise<void> {
  record.deploy = emptyDeployRecord()
  const deployRecord = record.deploy
  const title = `Deploy ${manifests.length} object(s) to ${settings.cluster!.name}${settings.dryRun ? ' (server dry run)' : ''}`
  await core.group(title, () =>
    deploy(
      {
        settings,
        session,
        manifests,
        kubeconfig,
        registry: record.discovery.registry,
        kubeletObjectId: record.discovery.kubeletObjectId,
        clusterName: settings.cluster!.name,
        importedDigests: importedDigests(record)
      },
      deployRecord
    )
  )
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
