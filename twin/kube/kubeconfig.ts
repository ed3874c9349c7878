/**
 * The kubeconfig YAML AKS returns from listClusterUserCredential /
 * listClusterAdminCredential (base64 in `kubeconfigs[].value`): a static user
 * (client certificate + token) for local accounts, or, on Entra ID clusters,
 * the kubelogin exec plugin (format=exec, the default since 1.24) or the
 * legacy `azure` auth-provider (format=azure), exactly as az aks get-credentials
 * writes them.
 */
import type { Cluster } from '../state.ts'
import { AKS_SERVER_APP } from '../entra.ts'

/** The Azure CLI's public client that kubelogin's device-code login uses. */
export const AKS_CLI_CLIENT = '80faf920-1908-4b52-b5ef-a8e7bedfc67a'

export interface KubeconfigMaterial {
  caPem: string
  clientCertPem: string
  clientKeyPem: string
}

export type CredentialKind = 'user' | 'admin'

const b64 = (s: string) => Buffer.from(s).toString('base64')

export function kubeconfigYaml(
  c: Cluster,
  kind: CredentialKind,
  format: 'exec' | 'azure',
  tenantId: string,
  m: KubeconfigMaterial
): string {
  const admin = kind === 'admin'
  const userName = `${admin ? 'clusterAdmin' : 'clusterUser'}_${c.resourceGroup}_${c.name}`
  // Both kinds name the context after the cluster: az aks get-credentials --admin appends
  // `-admin` itself when it merges (Microsoft's docs show `Merged "<name>-admin"`).
  const context = c.name
  const lines = [
    'apiVersion: v1',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(m.caPem)}`,
    `    server: https://${c.fqdn}:443`,
    `  name: ${c.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${c.name}`,
    `    user: ${userName}`,
    `  name: ${context}`,
    `current-context: ${context}`,
    'kind: Config',
    'preferences: {}',
    'users:',
    `- name: ${userName}`,
    '  user:'
  ]
  if (c.aad && !admin) {
    if (format === 'azure') {
      lines.push(
        '    auth-provider:',
        '      config:',
        `        apiserver-id: ${AKS_SERVER_APP}`,
        `        client-id: ${AKS_CLI_CLIENT}`,
        "        config-mode: '1'",
        '        environment: AzurePublicCloud',
        `        tenant-id: ${tenantId}`,
        '      name: azure'
      )
    } else {
      lines.push(
        '    exec:',
        '      apiVersion: client.authentication.k8s.io/v1beta1',
        '      args:',
        '      - get-token',
        '      - --environment',
        '      - AzurePublicCloud',
        '      - --server-id',
        `      - ${AKS_SERVER_APP}`,
        '      - --client-id',
        `      - ${AKS_CLI_CLIENT}`,
        '      - --tenant-id',
        `      - ${tenantId}`,
        '      - --login',
        '      - devicecode',
        '      command: kubelogin',
        '      env: null',
        '      installHint: |2',
        '',
        '        kubelogin is not installed which is required to connect to AAD enabled cluster.',
        '',
        '        To learn more, please go to https://aka.ms/aks/kubelogin',
        '      interactiveMode: IfAvailable',
        '      provideClusterInfo: false'
      )
    }
  } else {
    lines.push(
      `    client-certificate-data: ${b64(m.clientCertPem)}`,
      `    client-key-data: ${b64(m.clientKeyPem)}`,
      `    token: ${admin ? c.kube.tokens.admin : c.kube.tokens.user}`
    )
  }
  return lines.join('\n') + '\n'
}
