import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Regions whose cluster fqdns the certificate covers; a cluster elsewhere would fail TLS. */
export const AKS_REGIONS = [
  'eastus',
  'eastus2',
  'westus',
  'westus2',
  'westus3',
  'centralus',
  'northcentralus',
  'southcentralus',
  'westcentralus',
  'canadacentral',
  'brazilsouth',
  'northeurope',
  'westeurope',
  'uksouth',
  'ukwest',
  'francecentral',
  'germanywestcentral',
  'swedencentral',
  'switzerlandnorth',
  'norwayeast',
  'polandcentral',
  'italynorth',
  'southeastasia',
  'eastasia',
  'japaneast',
  'japanwest',
  'koreacentral',
  'australiaeast',
  'australiasoutheast',
  'centralindia',
  'southafricanorth',
  'uaenorth',
  'chinaeast2',
  'chinanorth3',
  'usgovvirginia',
  'usgovarizona'
]

/** Names the twin answers for, directly or behind its CONNECT proxy. */
export const CERT_NAMES = [
  'IP:127.0.0.1',
  'DNS:localhost',
  'DNS:*.azurecr.io',
  'DNS:*.azurecr.cn',
  'DNS:*.azurecr.us',
  'DNS:registry-1.docker.io',
  'DNS:auth.docker.io',
  'DNS:docker.io',
  'DNS:index.docker.io',
  'DNS:mcr.microsoft.com',
  'DNS:*.data.mcr.microsoft.com',
  'DNS:quay.io',
  // AKS API servers: a wildcard per region (one label deep), so each region a cluster may use is listed.
  ...AKS_REGIONS.map((r) => `DNS:*.hcp.${r}.azmk8s.io`),
  // Private clusters' API servers (their names resolve only inside the cluster's network).
  ...AKS_REGIONS.map((r) => `DNS:*.privatelink.${r}.azmk8s.io`)
]

export interface TwinTls {
  dir: string
  caFile: string
  caPem: string
  certPem: string
  keyPem: string
  /** A client certificate for the local-account kubeconfigs (CN=masterclient, O=system:masters), as AKS issues. */
  clientCertPem: string
  clientKeyPem: string
  cleanup(): Promise<void>
}

/**
 * A fresh CA per twin, made with the openssl CLI because node:crypto cannot
 * issue X.509 certificates. EC keys keep start-up fast.
 */
export async function createTwinTls(): Promise<TwinTls> {
  const dir = await mkdtemp(join(tmpdir(), 'azure-twin-'))
  const p = (f: string) => join(dir, f)
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    p('ca.key'),
    '-out',
    p('ca.pem'),
    '-days',
    '3650',
    '-subj',
    '/CN=Azure Twin Test CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign'
  ])
  await run('openssl', ['req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=azure-twin'])
  await writeFile(
    p('ext.cnf'),
    [
      `subjectAltName=${CERT_NAMES.join(',')}`,
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth'
    ].join('\n') + '\n'
  )
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('server.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('server.pem'),
    '-days',
    '825',
    '-extfile',
    p('ext.cnf')
  ])
  await run('openssl', ['req', ...ec, '-keyout', p('client.key'), '-out', p('client.csr'), '-subj', '/O=system:masters/CN=masterclient'])
  await writeFile(p('client.cnf'), 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n')
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    p('client.csr'),
    '-CA',
    p('ca.pem'),
    '-CAkey',
    p('ca.key'),
    '-CAcreateserial',
    '-out',
    p('client.pem'),
    '-days',
    '730',
    '-extfile',
    p('client.cnf')
  ])
  const [caPem, certPem, keyPem, clientCertPem, clientKeyPem] = await Promise.all(
    ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key'].map((f) => readFile(p(f), 'utf8'))
  )
  return {
    dir,
    caFile: p('ca.pem'),
    caPem,
    certPem,
    keyPem,
    clientCertPem,
    clientKeyPem,
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}
