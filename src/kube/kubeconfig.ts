import { load } from 'js-yaml'
import { ActionError } from '../errors.js'

/** How to reach and authenticate to one cluster's API server, from the kubeconfig AKS returns. */
export interface ApiServerCredentials {
  server: string
  caPem: string | undefined
  token: string | undefined
  clientCertPem: string | undefined
  clientKeyPem: string | undefined
  /** The kubeconfig wants `kubelogin` (Entra ID integration): a token for the AKS server application is needed. */
  needsEntraToken: boolean
}

interface KubeconfigFile {
  'current-context'?: string
  clusters?: Array<{ name: string; cluster: { server: string; 'certificate-authority-data'?: string } }>
  users?: Array<{
    name: string
    user: { token?: string; 'client-certificate-data'?: string; 'client-key-data'?: string; exec?: { command?: string; args?: string[] } }
  }>
  contexts?: Array<{ name: string; context: { cluster: string; user: string } }>
}

/**
 * The values of a kubeconfig that must never reach a log: a static token (local accounts) and the
 * client key, line by line and in the base64 forms a kubeconfig holds, since the runner masks lines.
 */
export function kubeconfigSecrets(credentials: ApiServerCredentials): string[] {
  const key = credentials.clientKeyPem
  const keyLines = key ? key.split('\n').filter((line) => line.trim() && !/^-----/.test(line.trim())) : []
  return [credentials.token, key && Buffer.from(key).toString('base64'), ...keyLines].filter((value): value is string => Boolean(value))
}

const decode = (base64: string | undefined) => (base64 ? Buffer.from(base64, 'base64').toString('utf8') : undefined)

/**
 * Reads the current context of a kubeconfig held in memory; it never touches disk here. A parse
 * error is reported without its text: YAML errors quote the lines around them, which hold keys.
 */
export function parseKubeconfig(yaml: string): ApiServerCredentials {
  let config: KubeconfigFile
  try {
    config = (load(yaml) ?? {}) as KubeconfigFile
  } catch (error) {
    const mark = (error as { mark?: { line?: number } }).mark
    throw new ActionError('The kubeconfig ARM handed out is not valid YAML', {
      detail: `parse error${mark?.line !== undefined ? ` at line ${mark.line + 1}` : ''} (its text is not shown: it holds credentials)`,
      hint: 'Re-run; if it persists, compare with `az aks get-credentials --file -`'
    })
  }
  const contextName = config['current-context'] ?? config.contexts?.[0]?.name
  const context = config.contexts?.find((c) => c.name === contextName)?.context
  const cluster = config.clusters?.find((c) => c.name === context?.cluster)?.cluster ?? config.clusters?.[0]?.cluster
  const user = config.users?.find((u) => u.name === context?.user)?.user ?? config.users?.[0]?.user
  if (!cluster?.server)
    throw new ActionError('The kubeconfig ARM handed out names no cluster server', {
      hint: 'The cluster may still be provisioning; re-run when `az aks show` reports provisioningState Succeeded'
    })
  return {
    server: cluster.server.replace(/\/+$/, ''),
    caPem: decode(cluster['certificate-authority-data']),
    token: user?.token,
    clientCertPem: decode(user?.['client-certificate-data']),
    clientKeyPem: decode(user?.['client-key-data']),
    needsEntraToken: Boolean(user?.exec && /kubelogin/.test(user.exec.command ?? ''))
  }
}
