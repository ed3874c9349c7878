import * as core from '@actions/core'
import { describeGrant, kubeletAccess } from '../azure/kubelet-access.js'
import type { Assignment } from '../azure/role-assignments.js'
import { ActionError } from '../errors.js'
import { probePull } from '../kube/pull-probe.js'
import type { CheckPlan } from '../plan/check.js'
import { canPullFrom, checkVerdict, type CheckReason, type CheckVerdict } from '../plan/check-verdict.js'
import type { Discovery } from '../plan/discovery.js'
import type { Settings } from '../settings/settings.js'
import { duration } from '../words.js'
import type { AzureSession } from './azure-session.js'
import { connectToCluster } from './cluster-connection.js'
import { diagnosePod, type Diagnosis } from './diagnose-pod.js'

export interface CheckRecord {
  verdict: CheckVerdict | undefined
}

export interface CheckContext {
  settings: Settings
  session: AzureSession
  discovery: Pick<Discovery, 'registry' | 'cluster' | 'kubeletObjectId'>
  /** The assignments at and above the registry as this run leaves them (after attach or detach). */
  assignments: Assignment[]
  kubeconfig: Promise<string> | undefined
  createdThisRun: ReadonlySet<string>
}

/**
 * Can the cluster pull from the registry: network, authentication and roles as Azure sees them, then
 * (check-pull) a pod that proves it. Fails the job only with `fail-on-check`.
 */
export async function checkPull(plan: CheckPlan, context: CheckContext, record: CheckRecord): Promise<void> {
  const { discovery } = context
  const repository = plan.image?.repository
  const access = await kubeletAccess(
    context.session.roleAssignments,
    discovery.registry,
    discovery.kubeletObjectId,
    repository,
    context.createdThisRun,
    context.assignments
  )
  record.verdict = checkVerdict(discovery.registry, access, discovery.kubeletObjectId, repository, undefined)
  for (const reason of record.verdict.reasons) core.info(`${mark(reason.ok)} ${reason.check}: ${reason.detail}`)
  if (plan.probe) {
    const probe = await pullProbe(plan.probe, context, context.kubeconfig)
    const reasons = [...record.verdict.reasons, probe]
    record.verdict = { canPull: canPullFrom(reasons), reasons }
    core.info(`${mark(probe.ok)} pull: ${probe.detail}`)
  }
  const { canPull, reasons } = record.verdict
  if (canPull === true) return
  const open = (ok: boolean | 'unknown') =>
    reasons.filter((reason) => reason.ok === ok).map((reason) => `${reason.check}: ${reason.detail}`)
  if (canPull === false) {
    if (context.settings.check.failOnCheck)
      throw new ActionError('The cluster cannot pull from the registry', { detail: open(false).join('; ') })
    core.warning(`The cluster cannot pull from the registry: ${open(false).join('; ')}`)
    return
  }
  // Unknown is not a no: fail-on-check fails on what is known to be wrong, and check-pull can settle the rest.
  const settle = plan.probe ? '' : '; check-pull: true proves it with a pod'
  core.warning(`Whether the cluster can pull from the registry is unknown: ${open('unknown').join('; ')}${settle}`)
}

const mark = (ok: boolean | 'unknown') => (ok === true ? '✓' : ok === false ? '✗' : '?')

/**
 * The pod that proves it: the kubelet pulls the image itself, as it will for real workloads. A
 * pull refused while the kubelet's grant is younger than RBAC propagation is waited out within
 * `timeout`; any other refusal is the answer at once.
 */
async function pullProbe(
  probe: NonNullable<CheckPlan['probe']>,
  context: CheckContext,
  kubeconfig: Promise<string> | undefined
): Promise<CheckReason> {
  const { settings, session, discovery } = context
  const deadline = Date.now() + settings.timeoutMs
  const connection = await connectToCluster({ session, access: settings.clusterAccess, kubeconfig, cluster: discovery.cluster })
  const { cluster } = connection
  cluster.deadline = deadline
  let waited: Diagnosis | undefined
  let failed: Diagnosis | undefined
  const { image } = probe
  try {
    core.info(`Starting a probe pod in ${probe.namespace} that pulls ${image}`)
    const outcome = await probePull(
      cluster,
      session.mutations.dryRun,
      probe.namespace,
      image,
      deadline,
      async (problem) => {
        const diagnosis = await diagnosePod(problem, {
          cluster,
          session,
          registry: discovery.registry,
          kubeletObjectId: discovery.kubeletObjectId,
          clusterName: discovery.cluster.name,
          createdThisRun: context.createdThisRun
        })
        if (diagnosis.verdict === 'transient') {
          waited = diagnosis
          core.info(`Waiting: ${diagnosis.cause}`)
          return 'wait'
        }
        failed = diagnosis
        return 'fail'
      },
      (why) => core.warning(why)
    )
    if (outcome.pulled === true)
      return { check: 'pull', ok: true, detail: `a pod pulled ${image}${outcome.node ? ` on ${outcome.node}` : ''}` }
    if (outcome.pulled === false)
      return { check: 'pull', ok: false, detail: `a pod could not pull ${image}: ${outcome.reason}: ${failed?.cause ?? outcome.message}` }
    if (waited?.pending) {
      return {
        check: 'pull',
        ok: false,
        detail: `a pod still could not pull ${image} when the timeout (${duration(settings.timeoutMs)}) passed: the ${describeGrant(waited.pending)} is not honoured by ${waited.pending.registry} yet (Azure RBAC propagation); re-run later`
      }
    }
    return { check: 'pull', ok: 'unknown', detail: outcome.message }
  } finally {
    cluster.close()
  }
}
