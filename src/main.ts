import * as core from '@actions/core'
import { ActionError } from './azure/action-error.js'
import { clusterKubeconfig } from './azure/cluster-credentials.js'
import { signIn } from './azure/sign-in.js'
import type { Manifest } from './kube/kube-object.js'
import { closeSharedAgent } from './net/http.js'
import { buildPlan } from './plan/plan.js'
import { importedDigests } from './report/import-outputs.js'
import { buildOutputs } from './report/outputs.js'
import { emptyDeployRecord, emptyRecord, type RunRecord } from './report/run-record.js'
import { buildSummary } from './report/summary.js'
import { readSettings, type Settings } from './settings/settings.js'
import { applyStep } from './steps/apply-plan.js'
import { createSession, type AzureSession } from './steps/azure-session.js'
import { discoverAccess, discoverRegistry } from './steps/discover.js'
import { loadManifests } from './kube/manifests.js'
import { planImports } from './plan/import-plan.js'
import { assessPull, checkImage, pullProbe } from './steps/check.js'
import { deploy } from './steps/deploy.js'
import { discoverImports } from './steps/discover-imports.js'
import { runImports } from './steps/run-imports.js'
import { count } from './words.js'

const STEP_TITLES = { attach: 'Attach the registry to the cluster', detach: 'Detach the registry from the cluster' } as const

/**
 * One run: settings (refused before any request), sign-in, discovery of what the modes need, the
 * plan, then the modes in their fixed order (check, attach, detach, import, deploy), and always a
 * report. Mode-specific code is bundled with the rest: ncc leaves split chunks unminified and copies
 * shared modules into each, which cost more than loading ~60 kB of unused code.
 */
export async function run(): Promise<void> {
  const record = emptyRecord()
  try {
    const settings = readSettings((name) => core.getInput(name), process.env)
    if (settings.imports.credentials) core.setSecret(settings.imports.credentials.password)
    record.settings = settings
    const manifests = await readManifests(settings)

    const signedIn = await core.group('Sign in to Azure with GitHub OIDC', async () => {
      const result = await signIn(settings.signIn, settings.cloud)
      core.info(`Signed in as client ${settings.signIn.clientId} (object ID ${result.callerObjectId ?? 'unknown'}) in ${settings.cloud.name}`)
      return result
    })
    const session = createSession(signedIn.credential, settings.cloud, settings.signIn.tenantId, settings.subscriptionId, signedIn.callerObjectId, settings.dryRun)
    if (settings.dryRun) core.notice('Dry run: reading and planning only; nothing in Azure or the cluster will change')

    // The kubeconfig needs only the cluster's name, so it is fetched alongside discovery.
    const needsKubeconfig = settings.modes.includes('deploy') || settings.check.pull
    const kubeconfig = needsKubeconfig && settings.cluster ? clusterKubeconfig(session.credential, session.cloud, settings.cluster, settings.deploy.admin) : undefined
    kubeconfig?.catch(() => undefined)

    await core.group('Find the registry and what the modes need', () => discover(settings, session, record))
    if (settings.modes.includes('check')) await core.group('Check that the cluster can pull from the registry', () => check(settings, session, record))
    for (const step of record.plan?.steps ?? []) {
      const result = await core.group(STEP_TITLES[step.mode], async () => {
        for (const note of step.notes) core.info(`Note: ${note}`)
        return applyStep(step, session)
      })
      record.steps.push(result)
    }
    if (record.imports.decisions) await importImages(settings, session, record)
    if (settings.check.pull && kubeconfig) await core.group('Probe a pull from the cluster', () => probe(settings, session, record, kubeconfig))
    if (settings.modes.includes('deploy') && kubeconfig) await deployManifests(settings, session, record, manifests, kubeconfig)
  } catch (error) {
    record.error = error instanceof Error ? error : new Error(String(error))
    if (record.error.cause instanceof Error) core.debug(`Cause: ${record.error.cause.stack ?? record.error.cause.message}`)
    core.setFailed(record.error.message)
  } finally {
    await report(record)
    closeSharedAgent()
  }
}

/** Manifests are inputs too: a missing file or bad YAML fails before any request. */
async function readManifests(settings: Settings): Promise<Manifest[]> {
  if (!settings.modes.includes('deploy')) return []
  return loadManifests(settings.deploy.manifests, process.env.GITHUB_WORKSPACE ?? process.cwd())
}

/** Reads everything the requested modes need, concurrently, and plans before anything changes. */
async function discover(settings: Settings, session: AzureSession, record: RunRecord): Promise<void> {
  const registry = discoverRegistry(settings, session, record.discovery)
  const needsCluster = settings.modes.some((mode) => mode !== 'import')
  const listAssignments = settings.modes.some((mode) => mode === 'attach' || mode === 'detach')
  const access = needsCluster && settings.cluster ? discoverAccess(settings.cluster, session, registry, record.discovery, listAssignments) : undefined
  const imports = settings.modes.includes('import')
    ? registry.then(async (found) => {
        record.imports.discovery = await discoverImports(settings, session, found)
      })
    : undefined
  const [accessResult, registryResult, importResult] = await Promise.allSettled([access, registry, imports])
  for (const result of [accessResult, registryResult, importResult]) if (result.status === 'rejected') throw result.reason

  if (accessResult.status === 'fulfilled' && accessResult.value) record.plan = buildPlan(settings, accessResult.value)
  if (record.imports.discovery) {
    record.imports.decisions = planImports(record.imports.discovery, settings.imports.mode)
  }
}

async function check(settings: Settings, session: AzureSession, record: RunRecord): Promise<void> {
  const discovery = record.discovery as Required<RunRecord['discovery']>
  record.check.verdict = await assessPull(settings, session, discovery)
  // With a probe still to come, the verdict is final only after it.
  if (!settings.check.pull) failOnCheck(settings, record)
}

async function probe(settings: Settings, session: AzureSession, record: RunRecord, kubeconfig: Promise<string>): Promise<void> {
  const registry = record.discovery.registry!
  const image = checkImage(settings, registry)
  if (!image) throw new ActionError("Input 'check-image': is required with check-pull unless this run imports an image")
  const discovery = record.discovery as Required<RunRecord['discovery']>
  record.check.probe = await pullProbe({ settings, session, kubeconfig, discovery, createdThisRun: grantsCreated(record) }, image.reference)
  const verdict = record.check.verdict!
  const reasons = [...verdict.reasons.filter((reason) => reason.check !== 'pull'), record.check.probe]
  record.check.verdict = { canPull: reasons.every((reason) => reason.ok === true), reasons }
  core.info(`${record.check.probe.ok === true ? '✓' : '✗'} pull: ${record.check.probe.detail}`)
  failOnCheck(settings, record)
}

function failOnCheck(settings: Settings, record: RunRecord): void {
  const verdict = record.check.verdict
  if (!verdict || verdict.canPull) return
  const failed = verdict.reasons.filter((reason) => reason.ok !== true).map((reason) => `${reason.check}: ${reason.detail}`)
  if (settings.check.failOnCheck) throw new ActionError('The cluster cannot pull from the registry', { detail: failed.join('; ') })
  core.warning(`The cluster cannot pull from the registry: ${failed.join('; ')}`)
}

async function importImages(settings: Settings, session: AzureSession, record: RunRecord): Promise<void> {
  const decisions = record.imports.decisions!
  const registry = record.discovery.registry!
  const results = await core.group(`Import ${count(decisions.length, 'image')} into ${registry.loginServer}`, () => runImports(decisions, settings, session, registry))
  record.imports.results = results
  const failed = results.filter((result) => result.error)
  if (failed.length > 0) {
    throw new ActionError(`${failed.length} of ${count(results.length, 'import')} failed`, { detail: failed.map((result) => result.error).join('\n') })
  }
}

async function deployManifests(settings: Settings, session: AzureSession, record: RunRecord, manifests: Manifest[], kubeconfig: Promise<string>): Promise<void> {
  record.deploy = emptyDeployRecord()
  const deployRecord = record.deploy
  const title = `Deploy ${count(manifests.length, 'object')} to ${settings.cluster!.name}${settings.dryRun ? ' (server dry run)' : ''}`
  const context = {
    settings,
    session,
    manifests,
    kubeconfig,
    registry: record.discovery.registry,
    kubeletObjectId: record.discovery.kubeletObjectId,
    cluster: { name: settings.cluster!.name, apiServer: record.discovery.cluster?.apiServer },
    importedDigests: importedDigests(record),
    createdThisRun: grantsCreated(record)
  }
  await core.group(title, () => deploy(context, deployRecord))
}

/** Role assignments this run created (lower-case IDs): fresh, whatever ARM's clock says. */
function grantsCreated(record: RunRecord): Set<string> {
  return new Set(record.steps.flatMap((step) => step.results.filter((r) => r.outcome === 'created' && r.assignmentId).map((r) => r.assignmentId!.toLowerCase())))
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

