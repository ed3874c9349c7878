import { describe, expect, it } from '@jest/globals'
import { kubeconfigSecrets, parseKubeconfig } from '../../src/kube/kubeconfig.js'

const KEY = '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAsecretline1\nsecretline2==\n-----END RSA PRIVATE KEY-----\n'
const kubeconfig = (user: string) => `apiVersion: v1
clusters:
- cluster:
    server: https://aks.example:443
  name: aks
contexts:
- context: {cluster: aks, user: admin}
  name: aks
current-context: aks
users:
- name: admin
  user:
${user}`

describe('kubeconfig credentials stay out of logs', () => {
  it('names the static token, the client key in base64 and every line of its body as secrets', () => {
    const credentials = parseKubeconfig(
      kubeconfig(`    token: s3cr3t-token\n    client-key-data: ${Buffer.from(KEY).toString('base64')}\n`)
    )
    const secrets = kubeconfigSecrets(credentials)
    expect(secrets).toEqual(
      expect.arrayContaining(['s3cr3t-token', Buffer.from(KEY).toString('base64'), 'MIIEpAIBAAKCAQEAsecretline1', 'secretline2=='])
    )
    expect(secrets.some((s) => s.startsWith('-----'))).toBe(false)
  })

  it('refuses a kubeconfig that is not YAML without quoting any of it', () => {
    const broken = kubeconfig('    token: s3cr3t-token\n  : [unbalanced')
    expect(() => parseKubeconfig(broken)).toThrow(/not valid YAML.*parse error at line \d+/)
    try {
      parseKubeconfig(broken)
    } catch (error) {
      expect(String((error as Error).message)).not.toContain('s3cr3t')
    }
  })
})
