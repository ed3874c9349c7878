import { execFile } from 'node:child_process'
import { mkdtemp, readFile, writeFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'

const run = promisify(execFile)

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
  'DNS:*.data.mcr.microsoft.com'
]

export interface TwinTls {
  dir: string
  caFile: string
  caPem: string
  certPem: string
  keyPem: string
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
    'req', '-x509', ...ec, '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '3650',
    '-subj', '/CN=Azure Twin Test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign'
  ])
  await run('openssl', [
    'req', ...ec, '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=azure-twin'
  ])
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
    'x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
    '-CAcreateserial', '-out', p('server.pem'), '-days', '825', '-extfile', p('ext.cnf')
  ])
  const [caPem, certPem, keyPem] = await Promise.all(
    ['ca.pem', 'server.pem', 'server.key'].map((f) => readFile(p(f), 'utf8'))
  )
  return {
    dir,
    caFile: p('ca.pem'),
    caPem,
    certPem,
    keyPem,
    cleanup: () => rm(dir, { recursive: true, force: true })
  }
}
