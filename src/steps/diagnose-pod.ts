import type { Registry } from '../azure/registries.js'
import type { ClusterApi } from '../kube/cluster-api.js'
import type { PodProblem } from '../kube/pod-problems.js'
import { RegistrySession } from '../registry/registry-session.js'
import { ago } from '../words.js'
import { parseImageReference, type ImageReference } from '../settings/image-reference.js'
import { pullSecretName } from '../plan/pull-secrets.js'
import type { AzureSession } from './azure-session.js'
import { describeGrant, kubeletAccess, pendingGrant, type KubeletAccess, type PullGrant } from '../azure/kubelet-access.js'
import { errorMessage } from '../errors.js'

/**
 * - definite: the cause is known and will not go away by waiting (no pull role, no such tag, a bad
 *   name, a crash loop): fail now.
 * - transient: every grant that lets the kubelet pull is younger than Azure's RBAC propagation:
 *   wait, within the run's timeout.
 * - unknown: the checks that would tell could not be made; says which and why, claims nothing.
 */
export type DiagnosisVerdict = 'definite' | 'transient' | 'unknown'

export interface Diagnosis {
  verdict: DiagnosisVerdict
  /** The verdict in one sentence, with what to do. */
  cause: string
  /** The pod's recent events, oldest first, as `Reason: message`. */
  events: string[]
  /** transient: the grant being waited for. */
  pending?: PullGrant & { registry: string }
}

export interface DiagnosisContext {
  cluster: ClusterApi
  session: AzureSession
  registry: Registry | undefined
  kubeletObjectId: string | undefined
  clusterName: string
  /** IDs (lower case) of the role assignments this run created: fresh whatever their timestamps say. */
  createdThisRun: ReadonlySet<string>
}

type TagState = { state: 'exists' } | { state: 'missing'; tags: string[] | undefined } | { state: 'unknown'; why: string }
type AccessState = { state: 'known'; access: KubeletAccess } | { state: 'unknown'; why: string }

/**
 * Explains a stuck pod before the run fails or waits on. For an image in the run's registry it asks
 * Azure whether the kubelet identity may pull (and since when), and the registry whether the tag
 * exists, because ACR answers 401 for both and containerd's message cannot tell them apart
 * (docs/azure.md).
 */
export async function diagnosePod(problem: PodProblem, context: DiagnosisContext): Promise<Diagnosis> {
  const eventsRead = podEvents(context.cluster, problem)
  const reference = parseImageReference(problem.image)
  const { registry, kubeletObjectId } = context
  const pullProblem = problem.reason === 'ErrImagePull' || problem.reason === 'ImagePullBackOff'
  const definite = async (cause: string): Promise<Diagnosis> => ({ verdict: 'definite', cause, events: await eventsRead })

  if (problem.reason === 'InvalidImageName') {
    return definite(`image '${problem.image}' of container ${problem.container} is not a valid image reference: fix it in the manifest`)
  }
  if (problem.reason === 'CrashLoopBackOff') {
    return definite(
      `container ${problem.container} of pod ${problem.pod} keeps crashing (CrashLoopBackOff): the image was pulled, the program exits; see its logs (kubectl logs ${problem.pod} -c ${problem.container} --previous)`
    )
  }
  // A registry outside Azure knows nothing of the kubelet identity: what decides is the pod's pull secrets.
  if (
    pullProblem &&
    typeof reference !== 'string' &&
    !reference.registry.endsWith(`.${context.session.cloud.acrSuffix}`) &&
    REFUSED.test(problem.message)
  ) {
    const events = await eventsRead
    return { verdict: 'definite', cause: refusedOutsideAzure(problem, reference, events), events }
  }
  if (!pullProblem || typeof reference === 'string' || !registry || reference.registry !== registry.loginServer) {
    return definite(`pod ${problem.pod} cannot pull ${problem.image} (${problem.reason}): ${problem.message}`)
  }

  const [access, tag] = await Promise.all([
    accessState(context, registry, kubeletObjectId, reference.repository),
    tagState(context.session, registry, reference.repository, reference.tag, reference.digest)
  ])
  const prefix = `pod ${problem.pod} cannot pull ${problem.image}: `
  const role = registry.permissionsMode === 'AbacRepositoryPermissions' ? 'Container Registry Repository Reader' : 'AcrPull'
  const wanted = `${reference.digest ? 'manifest' : 'tag'} ${reference.repository}:${reference.digest ?? reference.tag}`
  const reasons: string[] = []
  if (access.state === 'known' && access.access.canPull === false) {
    const held = access.access.findings.length ? ` (it holds: ${access.access.findings.join('; ')})` : ''
    reasons.push(
      `the kubelet identity ${kubeletObjectId} of cluster ${context.clusterName} has no ${role} on ${registry.name}${held}: run the action with mode: attach`
    )
  }
  if (tag.state === 'missing') {
    const listed =
      tag.tags === undefined
        ? ''
        : tag.tags.length
          ? `; tags in ${reference.repository}: ${tag.tags.slice(0, 20).join(', ')}`
          : `; the repository ${reference.repository} has no tags`
    reasons.push(`${wanted} does not exist in ${registry.name}${listed}: import it with mode: import`)
  }
  if (reasons.length > 0) return definite(prefix + reasons.join('; and '))

  const pending =
    access.state === 'known' ? pendingGrant(access.access.grants) : context.createdThisRun.size > 0 ? thisRunsGrant(role) : undefined
  if (pending) {
    const unchecked = tag.state === 'unknown' ? ` (whether ${wanted} exists could not be checked: ${tag.why})` : ''
    return {
      verdict: 'transient',
      cause: `${prefix}waiting for the ${describeGrant(pending)} to take effect on ${registry.name} (Azure RBAC propagation can take minutes)${unchecked}`,
      events: await eventsRead,
      pending: { ...pending, registry: registry.name }
    }
  }

  const known: string[] = []
  const unknown: string[] = []
  if (access.state === 'unknown') unknown.push(`whether the kubelet identity may pull could not be checked (${access.why})`)
  else if (access.access.canPull === 'unknown')
    unknown.push(
      `the kubelet identity's grants on ${registry.name} carry conditions this action cannot evaluate (${access.access.findings.join('; ')})`
    )
  else
    known.push(
      `the kubelet identity holds ${access.access.grants.map((g) => `${g.role} at ${g.where}${g.createdOn ? ` (granted ${ago(g.createdOn)})` : ''}`).join(', ')}`
    )
  if (tag.state === 'unknown') unknown.push(`whether ${wanted} exists could not be checked (${tag.why})`)
  else known.push(`${wanted} exists`)

  if (unknown.length > 0) {
    return {
      verdict: 'unknown',
      cause: `${prefix}${problem.reason}: the cause is unknown: ${[...known, ...unknown].join('; ')}. The node's error: ${problem.message}`,
      events: await eventsRead
    }
  }
  return definite(
    `${prefix}${known.join(' and ')}, yet the registry refuses the node: its network rules or private endpoint may not let the cluster in, or its authentication policy refuses the kubelet's token; see the node's error: ${problem.message}`
  )
}

/** How containerd words a registry's refusal (401/403, Docker Hub's `pull access denied`), unlike a missing tag or a network failure. */
const REFUSED = /\b40[13]\b|unauthorized|authorization failed|pull access denied|denied/i

/** The kubelet's event for secrets a pod names that its namespace lacks: `Unable to retrieve some image pull secrets (a, b); …`. */
function missingPullSecrets(events: string[]): string[] {
  const names = new Set<string>()
  for (const event of events) {
    const match = /FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets \(([^)]*)\)/.exec(event)
    for (const name of match?.[1]?.split(',') ?? []) if (name.trim()) names.add(name.trim())
  }
  return [...names]
}

/**
 * A registry outside Azure refused a pod: says which pull secret is missing, absent or refused.
 * The names `registry-logins` gives its secrets are derived from the server, so the action knows
 * its own among those the pod names (a login may be for the host or a path of it).
 */
function refusedOutsideAzure(problem: PodProblem, reference: ImageReference, events: string[]): string {
  const host = reference.registry
  const prefix = `pod ${problem.pod} cannot pull ${problem.image}: `
  const nodeSays = ` The node's error: ${problem.message}`
  const missing = missingPullSecrets(events)
  if (missing.length > 0) {
    const names = missing.join(', ')
    return `${prefix}${missing.length === 1 ? `its image pull secret ${names} does` : `its image pull secrets ${names} do`} not exist in namespace ${problem.namespace}: create ${missing.length === 1 ? 'it' : 'them'} there, or correct 'pull-secrets' or the manifest's imagePullSecrets.${nodeSays}`
  }
  if (problem.pullSecrets.length === 0) {
    return `${prefix}${host} refused it without credentials (the repository is private, or does not exist), and the pod has no image pull secret for ${host}: add a line '${host} USERNAME PASSWORD' to 'registry-logins' (filled from a secret) and the action creates one, or name an existing pull secret in 'pull-secrets'.${nodeSays}`
  }
  const segments = reference.repository.split('/')
  const servers = [host, ...segments.map((_, i) => `${host}/${segments.slice(0, i + 1).join('/')}`)]
  const ours = problem.pullSecrets.find((name) => servers.some((server) => pullSecretName(server) === name))
  if (ours) {
    return `${prefix}${host} refused the login in image pull secret ${ours} (from 'registry-logins'): check the username and password given for ${host}, and that they may pull ${reference.repository}.${nodeSays}`
  }
  return `${prefix}${host} refused the pull with the pod's image pull secrets (${problem.pullSecrets.join(', ')}): none of them holds a login ${host} accepts for ${reference.repository} (or the repository does not exist); add a 'registry-logins' line for ${host}, or fix those secrets.${nodeSays}`
}

function thisRunsGrant(role: string): PullGrant {
  return { role, where: 'the registry', createdOn: undefined, createdByThisRun: true }
}

async function accessState(
  context: DiagnosisContext,
  registry: Registry,
  kubeletObjectId: string | undefined,
  repository: string
): Promise<AccessState> {
  if (!kubeletObjectId) return { state: 'unknown', why: 'the kubelet identity is not known' }
  try {
    return {
      state: 'known',
      access: await kubeletAccess(context.session.roleAssignments, registry, kubeletObjectId, repository, context.createdThisRun)
    }
  } catch (error) {
    return { state: 'unknown', why: errorMessage(error) }
  }
}

async function tagState(
  session: AzureSession,
  registry: Registry,
  repository: string,
  tag: string | undefined,
  digest: string | undefined
): Promise<TagState> {
  const reader = new RegistrySession(registry.loginServer, session.acrLogin)
  try {
    await reader.prepare([repository], 'pull,metadata_read')
    const lookup = await reader.manifestDigest(repository, digest ?? tag ?? 'latest')
    if (lookup.found) return { state: 'exists' }
    if (lookup.status === 404) return { state: 'missing', tags: await reader.tags(repository).catch(() => undefined) }
    return {
      state: 'unknown',
      why: `${registry.loginServer} answered ${lookup.code ?? `HTTP ${lookup.status}`}: ${lookup.message} to the action's own identity`
    }
  } catch (error) {
    return { state: 'unknown', why: errorMessage(error) }
  }
}

async function podEvents(cluster: ClusterApi, problem: PodProblem): Promise<string[]> {
  try {
    const events = (await cluster.events(problem.namespace, problem.pod)) as Array<{
      type?: string
      reason?: string
      message?: string
      count?: number
      lastTimestamp?: string
      eventTime?: string
    }>
    return events
      .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)))
      .slice(-8)
      .map(
        (event) =>
          `${event.type ?? 'Normal'} ${event.reason ?? ''}: ${event.message ?? ''}${event.count && event.count > 1 ? ` (x${event.count})` : ''}`
      )
  } catch {
    return []
  }
}
