/**
 * AKS credentials: POST .../managedClusters/{n}/listClusterUserCredential and
 * .../listClusterAdminCredential (ManagedClustersListClusterUserCredentials.json:
 * `{kubeconfigs:[{name, value: base64 kubeconfig}]}`), with the ARM checks a
 * real call meets: token, subscription, the credential action (Owner,
 * Contributor, the AKS Cluster User/Admin roles), and local accounts.
 */
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import { authorize, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps } from './context.ts'
import { armError, resourceGroupNotFound, resourceNotFound } from './errors.ts'
import { kubeconfigYaml } from '../kube/kubeconfig.ts'
import type { CredentialKind, KubeconfigMaterial } from '../kube/kubeconfig.ts'

const ACTION: Record<CredentialKind, string> = {
  user: 'Microsoft.ContainerService/managedClusters/listClusterUserCredential/action',
  admin: 'Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action'
}

export function registerCredentials(router: Router, deps: ArmDeps, material: KubeconfigMaterial) {
  const handler =
    (kind: CredentialKind) =>
    (req: TwinRequest, m: RegExpExecArray): TwinResponse => {
      const [, sub, rg, name] = m
      const clusterId = req.path.replace(/\/listCluster(User|Admin)Credential$/i, '')
      const caller = subscriptionCaller(deps, req, sub)
      if (isResponse(caller)) return caller
      const denied = authorize(deps, caller, ACTION[kind], clusterId)
      if (denied) return denied
      if (!deps.state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
      const c = deps.state.cluster(sub, rg, name)
      if (!c) return resourceNotFound('Microsoft.ContainerService/managedClusters', name, rg)
      if (kind === 'admin' && c.disableLocalAccounts) {
        return armError(
          400,
          'BadRequest',
          'Getting static credential is not allowed because this cluster is set to disable local accounts.'
        )
      }
      const format = (req.query.format ?? 'exec').toLowerCase()
      if (format !== 'exec' && format !== 'azure') {
        return armError(
          400,
          'InvalidParameter',
          `The value of parameter format is invalid. Error details: unsupported format ${req.query.format}. Please see https://aka.ms/aks-naming-rules for more details.`
        )
      }
      const tenantId = deps.state.subscription(c.subscriptionId)?.tenantId ?? ''
      const yaml = kubeconfigYaml(c, kind, format as 'exec' | 'azure', tenantId, material)
      return {
        status: 200,
        body: { kubeconfigs: [{ name: kind === 'admin' ? 'clusterAdmin' : 'clusterUser', value: Buffer.from(yaml).toString('base64') }] }
      }
    }
  const base = String.raw`^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)`
  router.on('POST', new RegExp(`${base}\\/listClusterUserCredential$`, 'i'), handler('user'))
  router.on('POST', new RegExp(`${base}\\/listClusterAdminCredential$`, 'i'), handler('admin'))
}
