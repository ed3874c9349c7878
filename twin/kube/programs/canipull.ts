/**
 * `mcr.microsoft.com/aks/canipull`, the pod `az aks check-acr` runs (Azure/aks-canipull main.go),
 * played by the twin: resolve the registry's name, read the node's azure.json, get an ARM token
 * for the kubelet identity (IMDS) or the cluster's service principal, and trade it at the
 * registry's `/oauth2/exchange`. Its verdict is that exchange's: ACR hands a refresh token to any
 * identity of its tenant and checks rights only later, per repository, so canipull reports
 * SUCCEEDED for a kubelet identity without AcrPull, as the real tool does. Lines are its logger's
 * `[RFC3339] message`; exit codes its own (52 DNS, 60 exchange refused).
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'

export interface ProgramRun {
  output: string
  exitCode: number
}

const EXIT = { dnsResolutionFailure: 52, missingImagePullPermission: 60 }
/** The node's resolver: host-network pods on AKS ask Azure DNS. */
const AZURE_DNS = '168.63.129.16:53'

/** `-v6` / `-v 6` / `--verbose=6` and one positional argument, as pflag reads them. */
function parseArgs(argv: string[]): { level: number; positional: string[] } {
  let level = 2
  const positional: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    let m: RegExpExecArray | null
    if ((m = /^-v(\d+)$/.exec(a)) || (m = /^--verbose=(\d+)$/.exec(a))) level = Number(m[1])
    else if (a === '-v' || a === '--verbose') level = Number(argv[++i] ?? 2)
    else if (!a.startsWith('-')) positional.push(a)
  }
  return { level, positional }
}

export function canipull(k: KubeCluster, container: KObj): ProgramRun {
  const { level, positional } = parseArgs([...(container.command ?? []).slice(1), ...(container.args ?? [])].map(String))
  if (positional.length !== 1) return { output: 'No ACR input. Expect `canipull myacr.azurecr.io`.\n', exitCode: 0 }
  const acr = positional[0]!
  const lines: string[] = []
  const log = (v: number, text: string) => {
    if (v <= level) lines.push(`[${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}] ${text}\n`)
  }
  const done = (exitCode: number): ProgramRun => ({ output: lines.join(''), exitCode })

  const state = k.state
  const cluster = k.cluster
  const registry = state.registryByLoginServer(acr)
  if (!registry) {
    log(2, `Checking host name resolution (${acr}): FAILED`)
    log(2, `Failed to resolve specified fqdn ${acr}: lookup ${acr} on ${AZURE_DNS}: no such host`)
    return done(EXIT.dnsResolutionFailure)
  }
  log(2, `Checking host name resolution (${acr}): SUCCEEDED`)
  const cname = `${registry.name.toLowerCase()}.${registry.location.toLowerCase()}.cloudapp.azure.com.`
  log(2, `Canonical name for ACR (${acr}): ${cname}`)
  const acrLocation = cname.split('.')[1]!
  log(2, `ACR location: ${acrLocation}`)
  log(6, 'Loading azure.json file from /etc/kubernetes/azure.json')
  if (acrLocation !== cluster.location.replace(/\s/g, '').toLowerCase()) {
    log(2, 'Checking ACR location matches cluster location: FAILED')
    log(
      2,
      `ACR location '${acrLocation}' does not match your cluster location '${cluster.location}'. This may result in slow image pulls and extra cost.`
    )
  }

  const clusterTenant = state.subscription(cluster.subscriptionId)?.tenantId ?? ''
  const registryTenant = state.subscription(registry.subscriptionId)?.tenantId ?? ''
  const refused = () => {
    log(2, 'Validating image pull permission: FAILED')
    log(
      2,
      `ACR ${acr} rejected token exchange: ACR token exchange endpoint returned error status: 401. body: {"errors":[{"code":"UNAUTHORIZED","message":"The access token is from tenant '${clusterTenant}', not the registry's tenant.","detail":null}]}`
    )
    return done(EXIT.missingImagePullPermission)
  }
  if (cluster.kubelet) {
    log(2, 'Checking managed identity...')
    log(6, 'Cluster cloud name: AzurePublicCloud')
    log(2, `Kubelet managed identity client ID: ${cluster.kubelet.clientId}`)
    log(2, 'Validating managed identity existance: SUCCEEDED')
  } else {
    log(4, 'The cluster uses service principal.')
    log(2, 'Validating service principal credential: SUCCEEDED')
  }
  if (clusterTenant.toLowerCase() !== registryTenant.toLowerCase()) return refused()
  log(2, 'Validating image pull permission: SUCCEEDED')
  log(2, `\nYour cluster can pull images from ${acr}!`)
  return done(0)
}
