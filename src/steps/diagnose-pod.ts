import type { Registry } from '../azure/registries.js'
import type { KubeClient } from '../kube/kube-client.js'
import type { PodProblem } from '../kube/pod-problems.js'
import { RegistrySession } from '../registry/registry-session.js'
import { parseImageReference } from '../settings/image-reference.js'
import type { AzureSession } from './azure-session.js'
import { kubeletAccess } from './kubelet-access.js'

export interface Diagnosis {
  /** The verdict in one sentence, with what to do. */
  cause: string
  /** The pod's recent events, oldest first, as `Reason: message`. */
  events: string[]
}

/**
 * Explains a stuck pod before the run fails. For an image in the run's registry it asks Azure
 * whether the kubelet identity may pull, and the registry whether the tag exists, because ACR
 * answers 401 for both and containerd's message cannot tell them apart (FACTS.md).
 */
export async function diagnosePod(
  problem: PodProblem,
  context: { client: KubeClient; session: AzureSession; registry: Registry | undefined; kubeletObjectId: string | undefined; clusterName: string }
): Promise<Diagnosis> {
  const eventsRead = podEvents(context.client, problem)
  const reference = parseImageReference(problem.image)
  const { registry, kubeletObjectId } = context
  let cause = `${problem.reason} for container ${problem.container} of pod ${problem.pod}: ${problem.message}`
  const pullProblem = problem.reason === 'ErrImagePull' || problem.reason === 'ImagePullBackOff'

  if (problem.reason === 'InvalidImageName') {
    cause = `image '${problem.image}' of container ${problem.container} is not a valid image reference: fix it in the manifest`
  } else if (problem.reason === 'CrashLoopBackOff') {
    cause = `container ${problem.container} of pod ${problem.pod} keeps crashing (CrashLoopBackOff): the image was pulled, the program exits; see its logs (kubectl logs ${problem.pod} -c ${problem.container} --previous)`
  } else if (pullProblem && typeof reference !== 'string' && registry && reference.registry === registry.loginServer) {
    const [access, tag] = await Promise.all([
      kubeletObjectId ? kubeletAccess(context.session, registry, kubeletObjectId, reference.repository).catch(() => undefined) : Promise.resolve(undefined),
      tagState(context.session, registry, reference.repository, reference.tag, reference.digest)
    ])
    const reasons: string[] = []
    if (access && access.canPull === false) {
      const role = registry.permissionsMode === 'AbacRepositoryPermissions' ? 'Container Registry Repository Reader' : 'AcrPull'
      const held = access.findings.length ? ` (it holds: ${access.findings.join('; ')})` : ''
      reasons.push(
        `the kubelet identity ${kubeletObjectId} of cluster ${context.clusterName} has no ${role} on ${registry.name}${held}: run the action with mode: attach`
      )
    }
    if (tag.missing) {
      const wanted = reference.digest ?? reference.tag
      const listed = tag.tags === undefined ? '' : tag.tags.length ? `; tags in ${reference.repository}: ${tag.tags.slice(0, 20).join(', ')}` : `; the repository ${reference.repository} has no tags`
      reasons.push(`${reference.digest ? 'manifest' : 'tag'} ${reference.repository}:${wanted} does not exist in ${registry.name}${listed}: import it with mode: import`)
    }
    if (reasons.length === 0) {
      reasons.push(
        access?.canPull === 'unknown'
          ? `the kubelet identity's only grants on ${registry.name} carry conditions this action cannot evaluate (${access.findings.join('; ')}); the image exists`
          : `the kubelet identity may pull from ${registry.name} and the image exists; the node may not reach the registry (network rules, private endpoint) or the grant is still propagating`
      )
    }
    cause = `pod ${problem.pod} cannot pull ${problem.image}: ${reasons.join('; and ')}`
  } else if (pullProblem) {
    cause = `pod ${problem.pod} cannot pull ${problem.image} (${problem.reason}): ${problem.message}`
  }
  return { cause, events: await eventsRead }
}

async function tagState(
  session: AzureSession,
  registry: Registry,
  repository: string,
  tag: string | undefined,
  digest: string | undefined
): Promise<{ missing: boolean; tags: string[] | undefined }> {
  const reader = new RegistrySession(registry.loginServer, session.acrLogin)
  try {
    await reader.prepare([repository], 'pull,metadata_read')
    const lookup = await reader.manifestDigest(repository, digest ?? tag ?? 'latest')
    if (lookup.found || lookup.status !== 404) return { missing: false, tags: undefined }
    return { missing: true, tags: await reader.tags(repository) }
  } catch {
    return { missing: false, tags: undefined }
  }
}

async function podEvents(client: KubeClient, problem: PodProblem): Promise<string[]> {
  try {
    const response = await client.request<{ items?: Array<{ type?: string; reason?: string; message?: string; count?: number; lastTimestamp?: string; eventTime?: string }> }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(problem.namespace)}/events`,
      { query: { fieldSelector: `involvedObject.name=${problem.pod}` } }
    )
    if (response.status !== 200) return []
    return (response.body.items ?? [])
      .sort((a, b) => String(a.lastTimestamp ?? a.eventTime).localeCompare(String(b.lastTimestamp ?? b.eventTime)))
      .slice(-8)
      .map((event) => `${event.type ?? 'Normal'} ${event.reason ?? ''}: ${event.message ?? ''}${event.count && event.count > 1 ? ` (x${event.count})` : ''}`)
  } catch {
    return []
  }
}
