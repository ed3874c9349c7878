import * as core from '@actions/core'
import type { Registry } from '../azure/registries.js'
import { KubeClient } from '../kube/kube-client.js'
import { parseKubeconfig } from '../kube/kubeconfig.js'
import { probePull } from '../kube/pull-probe.js'
import { AKS_SERVER_APP_SCOPE } from '../azure/cluster-credentials.js'
import { checkVerdict, type CheckReason, type CheckVerdict } from '../plan/check-verdict.js'
import type { Discovery } from '../plan/discovery.js'
import type { ImageReference } from '../settings/image-reference.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'
import { kubeletAccess } from './kubelet-access.js'

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
  const access = await kubeletAccess(session, discovery.registry, discovery.kubeletObjectId, image?.repository)
  const verdict = checkVerdict(discovery.registry, access, discovery.kubeletObjectId, image?.repository, undefined)
  for (const reason of verdict.reasons) core.info(`${reason.ok === true ? '✓' : reason.ok === false ? '✗' : '?'} ${reason.check}: ${reason.detail}`)
  return verdict
}

/** The pod that proves it: the kubelet pulls the image itself, as it will for real workloads. */
export async function pullProbe(settings: Settings, session: AzureSession, kubeconfig: Promise<string>, image: string): Promise<CheckReason> {
  const access = parseKubeconfig(await kubeconfig)
  const bearer = access.needsEntraToken ? (await session.credential.getToken(AKS_SERVER_APP_SCOPE))?.token : undefined
  const client = new KubeClient(access, bearer)
  try {
    const namespace = settings.deploy.namespace ?? 'default'
    core.info(`Starting a probe pod in ${namespace} that pulls ${image}`)
    const outcome = await probePull(client, session.mutations, namespace, image)
    if (outcome.pulled === true) return { check: 'pull', ok: true, detail: `a pod pulled ${image}${outcome.node ? ` on ${outcome.node}` : ''}` }
    if (outcome.pulled === false) return { check: 'pull', ok: false, detail: `a pod could not pull ${image}: ${outcome.reason}: ${outcome.message}` }
    return { check: 'pull', ok: 'unknown', detail: outcome.message }
  } finally {
    client.close()
  }
}
