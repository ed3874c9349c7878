import * as core from '@actions/core'
import type { Discovery } from './plan/discovery.js'
import { planAttach, planDetach } from './plan/assignments.js'
import { planCheck } from './plan/check.js'
import { planDeploy } from './plan/deploy.js'
import { planImports } from './plan/import-plan.js'
import { runAnnotations } from './plan/run-annotations.js'
import { planRegistry } from './plan/registry.js'
import { registryOutputs, registrySection } from './report/registry.js'
import { carryOutRegistryPlan } from './steps/create-registry.js'
import { assignmentsSection, attachOutputs, detachOutputs } from './report/assignments.js'
import { checkOutputs, checkSection } from './report/check.js'
import { deployOutputs, deploySection } from './report/deploy.js'
import { importedDigests, importOutputs, importSection } from './report/imports.js'
import type { OutputPart } from './report/outputs.js'
import type { ModeRecords, RunRecord } from './report/run-record.js'
import type { Section } from './report/summary.js'
import type { Mode } from './settings/modes.js'
import type { Settings } from './settings/settings.js'
import { assignmentsAfter, changeAssignments, createdAssignments } from './steps/assignments.js'
import type { AzureSession } from './steps/azure-session.js'
import { checkPull, type CheckRecord } from './steps/check.js'
import { deploy, emptyDeployRecord } from './steps/deploy.js'
import type { Needs } from './steps/discover.js'
import { runImports, throwIfImportsFailed } from './steps/run-imports.js'
import { count } from './words.js'

/** What every mode may use while it runs. */
export interface RunContext {
  settings: Settings
  session: AzureSession
  discovery: Discovery
  /** The cluster's kubeconfig, fetched alongside discovery when a mode needs one. */
  kubeconfig: Promise<string> | undefined
}

/** What a mode needs read before it plans, beyond the registry every mode reads. */
export interface ModeNeeds extends Needs {
  kubeconfig: boolean
  /** The `manifests` files, read before sign-in (they are inputs too). */
  manifests: boolean
}

/**
 * One mode, whole: what it needs found, its pure plan, how the plan is carried out, how the
 * outcome is reported. `main.ts` walks these in `MODE_ORDER`; nothing else knows the modes apart.
 */
export interface ModeDefinition<M extends Mode> {
  needs(settings: Settings): Partial<ModeNeeds>
  /** Pure: from settings, what was found and what the modes before this one did. */
  plan(settings: Settings, discovery: Discovery, record: RunRecord): ModeRecords[M]['plan']
  /** The log group the mode runs in. */
  title(plan: ModeRecords[M]['plan'], context: RunContext): string
  /** Carries the plan out (a dry run changes nothing) and keeps what happened in `record.results`. */
  carryOut(plan: ModeRecords[M]['plan'], context: RunContext, record: RunRecord): Promise<void>
  summary: Section
  outputs: OutputPart
}

/** attach and detach leave the assignments that check and a failing deploy's diagnosis judge. */
const grantSteps = (record: RunRecord) => [record.results.attach, record.results.detach]

export const MODES: { [M in Mode]: ModeDefinition<M> } = {
  attach: {
    needs: () => ({ cluster: true, assignments: true }),
    plan: (settings, discovery) => planAttach(settings, discovery),
    title: () => 'Attach the registry to the cluster',
    async carryOut(plan, { session }, record) {
      record.results.attach = { mode: plan.mode, results: [] }
      await changeAssignments(plan, session, record.results.attach)
    },
    summary: assignmentsSection('attach'),
    outputs: attachOutputs
  },
  detach: {
    needs: () => ({ cluster: true, assignments: true }),
    plan: (_settings, discovery) => planDetach(discovery),
    title: () => 'Detach the registry from the cluster',
    async carryOut(plan, { session }, record) {
      record.results.detach = { mode: plan.mode, results: [] }
      await changeAssignments(plan, session, record.results.detach)
    },
    summary: assignmentsSection('detach'),
    outputs: detachOutputs
  },
  import: {
    needs: () => ({ imports: true }),
    plan: (settings, discovery) => planImports(discovery.imports, settings.imports.mode),
    title: (plan, { discovery }) => `Import ${count(plan.length, 'image')} into ${discovery.registry.loginServer}`,
    async carryOut(plan, { settings, session, discovery }, record) {
      record.results.import = await runImports(plan, settings, session, discovery.registry)
      throwIfImportsFailed(record.results.import)
    },
    summary: importSection,
    outputs: importOutputs
  },
  check: {
    // Run command needs no kubeconfig: the command pod is inside the cluster.
    needs: (settings) => ({
      cluster: true,
      assignments: true,
      kubeconfig: settings.check.pull && settings.clusterAccess !== 'run-command'
    }),
    plan: (settings, discovery) => planCheck(settings, discovery.registry),
    title: () => 'Check that the cluster can pull from the registry',
    async carryOut(plan, { settings, session, discovery, kubeconfig }, record) {
      const result: CheckRecord = { verdict: undefined }
      record.results.check = result
      const steps = grantSteps(record)
      const assignments = assignmentsAfter(discovery.assignments, steps)
      await checkPull(plan, { settings, session, discovery, assignments, kubeconfig, createdThisRun: createdAssignments(steps) }, result)
    },
    summary: checkSection,
    outputs: checkOutputs
  },
  deploy: {
    needs: (settings) => ({ cluster: true, kubeconfig: settings.clusterAccess !== 'run-command', manifests: true }),
    // Tags this run imported are pinned to the digests the imports gave.
    plan: (settings, discovery, record) =>
      planDeploy(discovery.manifests, settings.deploy.namespace, discovery.registry, settings.cloud.acrSuffix, importedDigests(record), {
        registryLogins: settings.deploy.registryLogins,
        pullSecrets: settings.deploy.pullSecrets,
        annotations: settings.deploy.annotate ? runAnnotations(settings.run) : {}
      }),
    title: (plan, { settings, discovery }) =>
      `Deploy ${count(plan.foundation.length + plan.secrets.length + plan.objects.length, 'object')} to ${discovery.cluster.name}${settings.dryRun ? ' (server dry run)' : ''}`,
    async carryOut(plan, { settings, session, discovery, kubeconfig }, record) {
      const result = emptyDeployRecord()
      record.results.deploy = result
      const context = {
        settings,
        session,
        kubeconfig,
        registry: discovery.registry,
        kubeletObjectId: discovery.kubeletObjectId,
        cluster: discovery.cluster,
        createdThisRun: createdAssignments(grantSteps(record))
      }
      await deploy(plan, context, result)
    },
    summary: deploySection,
    outputs: deployOutputs
  }
}

/** Everything the requested modes need, together. */
export function needsOf(settings: Settings): ModeNeeds {
  const all = settings.modes.map((mode) => MODES[mode].needs(settings))
  const any = (need: keyof ModeNeeds) => all.some((needs) => needs[need] === true)
  return {
    cluster: any('cluster'),
    assignments: any('assignments'),
    imports: any('imports'),
    kubeconfig: any('kubeconfig'),
    manifests: any('manifests')
  }
}

/**
 * `create-registry`'s phase, before the modes: discovery found the registry or stood in for a missing
 * one; this plans keeping or creating it and carries the plan out, so the modes plan against the
 * registry ARM created (in a dry run, against the one it would create).
 */
export async function prepareRegistry(context: RunContext, record: RunRecord): Promise<void> {
  const { settings, session, discovery } = context
  if (!settings.registryCreation) return
  const plan = planRegistry(settings.registryCreation, discovery)
  record.registry = { plan, created: undefined }
  if (plan.action === 'keep') return
  await core.group(`Create container registry ${plan.request.name}`, () =>
    carryOutRegistryPlan(plan, settings, session, discovery, record.registry!)
  )
}

/** The report of the phases and modes a run asked for: their summary sections and outputs, in order. */
export function reportParts(record: RunRecord): { sections: Section[]; outputs: OutputPart[] } {
  const modes = record.settings?.modes ?? []
  const registry = record.settings?.registryCreation ? [{ summary: registrySection, outputs: registryOutputs }] : []
  const parts = [...registry, ...modes.map((mode) => MODES[mode])]
  return { sections: parts.map((part) => part.summary), outputs: parts.map((part) => part.outputs) }
}
