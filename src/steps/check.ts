import * as core from '@actions/core'
import type { Registry } from '../azure/registries.js'
import { describeGrant, kubeletAccess } from '../azure/kubelet-access.js'
import { probePull } from '../kube/pull-probe.js'
import { checkVerdict, type CheckReason, type CheckVerdict } from '../plan/check-verdict.js'
import type { Discovery } from '../plan/discovery.js'
import type { ImageReference } from '../settings/image-reference.js'
import type { Settings } from '../settings/settings.js'
import { duration } from '../words.js'
import type { AzureSession } from './azure-session.js'
import { connectToCluster } from './cluster-connection.js'
import { diagnosePod, type Diagnosis } from './diagnose-pod.js'

/** The image a check is about: `check-image`, else the first tag this run imports. */
export function checkImage(settings: Settings, registry: Registry): { reference: string; repository: string | undefined } | undefined {
  const image: ImageReference | undefined = settings.check.image
  if (image) {
    const host = image.registry || registry.loginServer
    const reference = `${host}/${image.repository}${image.tag ? `:${image.tag}` : ''}${image.digest ? `@${image.digest}` : ''}`
    return { reference, repository: host === registry.loginServer ? image.repository : undefined }
  }
  const target = settings.imports.specs.flatMap((spec) => spec.targets).find((t) => t.tag)
  return target ? { reference: `${registry.loginServer}/${target.repository}:${target.tag}`, repository: target.repository } : undefined
}

/** Can the cluster pull from the registry, as Azure sees it now: network, authentication, roles. */
export async function assessPull(settings: Settings, session: AzureSession, discovery: Discovery): Promise<CheckVerdict> {
  const image = checkImage(settings, discovery.registry)
  const access = await kubeletAccess(session.roleAssignments, discovery.registry, discovery.kubeletObjectId, image?.repository)
  const verdict = checkVerdict(discovery.registry, access, discovery.kubeletObjectId, image?.repository, undefined)
  for (const reason of verdict.reasons) core.info(`${reason.ok === true ? '✓' : reason.ok === false ? '✗' : '?'} ${reason.check}: ${reason.detail}`)
  return verdict
}

export interface ProbeContext {
  settings: Settings
  session: AzureSession
  kubeconfig: Promise<string>
  discovery: Discovery
  createdThisRun: ReadonlySet<string>
}

/**
 * The pod that proves it: the kubelet pulls the image itself, as it will for real workloads. A
 * pull refused while the kubelet's grant is younger than RBAC propagation is waited out within
 * `timeout`; any other refusal is the answer at once.
 */
export async function pullProbe(context: ProbeContext, image: string): Promise<CheckReason> {
  const { settings, session, discovery } = context
  const deadline = Date.now() + settings.timeoutMs
  const { client } = await connectToCluster(session, context.kubeconfig, discovery.cluster)
  client.deadline = deadline
  let waited: Diagnosis | undefined
  let failed: Diagnosis | undefined
  try {
    const namespace = settings.deploy.namespace ?? 'default'
    core.info(`Starting a probe pod in ${namespace} that pulls ${image}`)
    const outcome = await probePull(client, session.mutations, namespace, image, deadline, async (problem) => {
      const diagnosis = await diagnosePod(problem, {
        client,
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
    })
    if (outcome.pulled === true) return { check: 'pull', ok: true, detail: `a pod pulled ${image}${outcome.node ? ` on ${outcome.node}` : ''}` }
    if (outcome.pulled === false) return { check: 'pull', ok: false, detail: `a pod could not pull ${image}: ${outcome.reason}: ${failed?.cause ?? outcome.message}` }
    if (waited?.pending) {
      return {
        check: 'pull',
        ok: false,
        detail: `a pod still could not pull ${image} when the timeout (${duration(settings.timeoutMs)}) passed: the ${describeGrant(waited.pending)} is not honoured by ${waited.pending.registry} yet (Azure RBAC propagation); re-run later`
      }
    }
    return { check: 'pull', ok: 'unknown', detail: outcome.message }
  } finally {
    client.close()
  }
}
