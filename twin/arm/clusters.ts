import { createHash } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import type { Cluster, TwinState } from '../state.ts'
import { authorize, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps } from './context.ts'
import { resourceGroupNotFound, resourceNotFound } from './errors.ts'
import { provisioningStateOf } from './cluster-operations.ts'

const etag = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 8)

/** Shape of ManagedClustersGet.json (2025-10-01), identity fields as a real cluster of each kind has them. */
export function clusterJson(c: Cluster, state: TwinState): Record<string, unknown> {
  const tenantId = state.subscription(c.subscriptionId)?.tenantId
  const mi = c.identity === 'managedIdentity'
  const provisioningState = provisioningStateOf(state, c)
  return {
    id: c.id,
    location: c.location,
    name: c.name,
    type: 'Microsoft.ContainerService/managedClusters',
    eTag: etag(c.id),
    tags: {},
    sku: { name: 'Base', tier: 'Free' },
    ...(mi ? { identity: { type: 'SystemAssigned', principalId: c.systemPrincipalId, tenantId } } : {}),
    properties: {
      provisioningState,
      powerState: { code: 'Running' },
      kubernetesVersion: c.kubernetesVersion,
      currentKubernetesVersion: c.kubernetesVersion,
      dnsPrefix: c.dnsPrefix,
      ...(c.privateCluster ? { privateFQDN: c.privateFqdn } : { fqdn: c.fqdn, azurePortalFQDN: c.fqdn.replace('.hcp.', '.portal.hcp.') }),
      agentPoolProfiles: [
        {
          name: 'nodepool1',
          count: 3,
          vmSize: 'Standard_DS2_v2',
          osDiskSizeGB: 128,
          osDiskType: 'Managed',
          kubeletDiskType: 'OS',
          maxPods: 110,
          type: 'VirtualMachineScaleSets',
          availabilityZones: ['1', '2', '3'],
          enableAutoScaling: false,
          provisioningState,
          powerState: { code: 'Running' },
          orchestratorVersion: c.kubernetesVersion,
          currentOrchestratorVersion: c.kubernetesVersion,
          enableNodePublicIP: false,
          mode: 'System',
          osType: 'Linux',
          osSKU: 'Ubuntu',
          nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202510.03.0',
          upgradeSettings: { maxSurge: '10%' },
          enableFIPS: false,
          eTag: etag(c.id + 'pool')
        }
      ],
      servicePrincipalProfile: { clientId: mi ? 'msi' : c.servicePrincipal!.appId },
      nodeResourceGroup: c.nodeResourceGroup,
      enableRBAC: true,
      supportPlan: 'KubernetesOfficial',
      networkProfile: {
        networkPlugin: 'azure',
        networkPluginMode: 'overlay',
        loadBalancerSku: 'standard',
        outboundType: 'loadBalancer',
        podCidr: '10.244.0.0/16',
        serviceCidr: '10.0.0.0/16',
        dnsServiceIP: '10.0.0.10',
        podCidrs: ['10.244.0.0/16'],
        serviceCidrs: ['10.0.0.0/16'],
        ipFamilies: ['IPv4']
      },
      maxAgentPools: 100,
      ...(mi ? { identityProfile: { kubeletidentity: { ...c.kubelet } } } : {}),
      ...(c.aad ? { aadProfile: { managed: true, adminGroupObjectIDs: [], enableAzureRBAC: c.azureRbac, tenantID: tenantId } } : {}),
      disableLocalAccounts: c.disableLocalAccounts,
      ...(c.privateCluster || c.authorizedIpRanges.length || c.disableRunCommand
        ? {
            apiServerAccessProfile: {
              ...(c.authorizedIpRanges.length ? { authorizedIPRanges: c.authorizedIpRanges } : {}),
              enablePrivateCluster: c.privateCluster,
              ...(c.privateCluster ? { privateDNSZone: 'system', enablePrivateClusterPublicFQDN: false } : {}),
              disableRunCommand: c.disableRunCommand
            }
          }
        : {}),
      oidcIssuerProfile: c.oidcIssuerUrl ? { enabled: true, issuerURL: c.oidcIssuerUrl } : { enabled: false },
      ...(c.workloadIdentity ? { securityProfile: { workloadIdentity: { enabled: true } } } : {})
    }
  }
}

export function registerClusters(router: Router, deps: ArmDeps) {
  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i,
    (req: TwinRequest, m): TwinResponse => {
      const [, sub, rg, name] = m
      const caller = subscriptionCaller(deps, req, sub)
      if (isResponse(caller)) return caller
      const denied = authorize(deps, caller, 'Microsoft.ContainerService/managedClusters/read', req.path)
      if (denied) return denied
      if (!deps.state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
      const c = deps.state.cluster(sub, rg, name)
      if (!c) return resourceNotFound('Microsoft.ContainerService/managedClusters', name, rg)
      return { status: 200, body: clusterJson(c, deps.state) }
    }
  )
}
