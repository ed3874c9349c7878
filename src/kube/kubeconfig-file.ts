import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { dump } from 'js-yaml'
import type { ApiServerCredentials } from './kubeconfig.js'

/** The post step finds the file to delete under this state key. */
export const KUBECONFIG_STATE = 'kubeconfig-path'

/**
 * Writes a kubeconfig for later steps, only when asked (`kubeconfig-output: true`): under
 * RUNNER_TEMP, readable by the runner user alone, with the bearer token inline so later steps need
 * no kubelogin. The post step deletes it.
 */
export async function writeKubeconfig(
  access: ApiServerCredentials,
  bearer: string | undefined,
  clusterName: string,
  runnerTemp: string
): Promise<string> {
  const dir = await mkdtemp(join(runnerTemp, 'aks-acr-'))
  const path = join(dir, 'kubeconfig')
  const user: Record<string, string> = {}
  if (bearer) user.token = bearer
  if (access.clientCertPem) user['client-certificate-data'] = Buffer.from(access.clientCertPem).toString('base64')
  if (access.clientKeyPem) user['client-key-data'] = Buffer.from(access.clientKeyPem).toString('base64')
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    'current-context': clusterName,
    clusters: [
      {
        name: clusterName,
        cluster: {
          server: access.server,
          ...(access.caPem ? { 'certificate-authority-data': Buffer.from(access.caPem).toString('base64') } : {})
        }
      }
    ],
    users: [{ name: `${clusterName}-user`, user }],
    contexts: [{ name: clusterName, context: { cluster: clusterName, user: `${clusterName}-user` } }]
  }
  await writeFile(path, dump(config), { mode: 0o600 })
  return path
}

export async function removeKubeconfig(path: string): Promise<void> {
  await rm(join(path, '..'), { recursive: true, force: true })
}
