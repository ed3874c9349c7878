import type { KubeClient, KubeStatus } from './kube-client.js'
import type { Mutations } from '../mutations.js'

/**
 * Puts a Deployment back on its previous revision, as `kubectl rollout undo` does: the template of
 * the ReplicaSet one revision older replaces the Deployment's template (a JSON patch, so nothing of
 * the failed template survives). Returns what happened, in words for the log.
 */
export async function rollBackDeployment(client: KubeClient, mutations: Mutations, namespace: string, name: string): Promise<string> {
  const base = `/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}`
  const deployment = await client.request<Record<string, any>>('GET', `${base}/deployments/${encodeURIComponent(name)}`)
  if (deployment.status !== 200)
    return `deployment/${name}: could not read it to roll back (${refusal(deployment.status, deployment.body)})`
  const current = Number(deployment.body.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0)
  const selector = Object.entries((deployment.body.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([key, value]) => `${key}=${value}`)
    .join(',')
  const sets = await client.request<{ items?: Array<Record<string, any>> }>('GET', `${base}/replicasets`, {
    query: { labelSelector: selector || undefined }
  })
  if (sets.status !== 200)
    return `deployment/${name}: could not list its ReplicaSets to find the previous revision (${refusal(sets.status, sets.body)})`
  const uid = deployment.body.metadata?.uid
  const previous = (sets.body.items ?? [])
    .filter((set) => (set.metadata?.ownerReferences ?? []).some((owner: { uid?: string }) => owner.uid === uid))
    .map((set) => ({ set, revision: Number(set.metadata?.annotations?.['deployment.kubernetes.io/revision'] ?? 0) }))
    .filter(({ revision }) => revision > 0 && revision < current)
    .sort((a, b) => b.revision - a.revision)[0]
  if (!previous) return `deployment/${name}: no previous revision to roll back to (this was its first rollout)`
  const template = structuredClone(previous.set.spec.template) as { metadata?: { labels?: Record<string, string> } }
  delete template.metadata?.labels?.['pod-template-hash']
  const patched = await mutations.kube(client, 'PATCH', `${base}/deployments/${encodeURIComponent(name)}`, {
    body: [{ op: 'replace', path: '/spec/template', value: template }],
    contentType: 'application/json-patch+json'
  })
  if (patched.status !== 200)
    return `deployment/${name}: rollback to revision ${previous.revision} failed (${refusal(patched.status, patched.body)})`
  return `deployment/${name}: rolled back to revision ${previous.revision}`
}

/** The API server's reason and message, kept: Forbidden says who may not do what. */
function refusal(status: number, body: unknown): string {
  const { reason, message } = (typeof body === 'object' && body ? body : {}) as KubeStatus
  return [`HTTP ${status}`, reason, message].filter(Boolean).join(': ')
}
