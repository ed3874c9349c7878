import https from 'node:https'
import { execFile } from 'node:child_process'
import { mkdtemp, writeFile, rm, mkdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TokenCredential } from '@azure/core-auth'
import { createContainerService } from '@azure/arm-containerservice/api'
import { listClusterUserCredentials, listClusterAdminCredentials } from '@azure/arm-containerservice/api/managedClusters'
import type { Twin } from '../../twin/index.ts'
import type { Cluster } from '../../twin/state.ts'
import { SCENARIO } from './helpers.ts'

export const KUBECTL = '/usr/bin/kubectl'

/** The kubeconfig as the action gets it: the real SDK's listClusterUserCredential (or admin), decoded. */
export async function fetchKubeconfig(
  twin: Twin,
  cred: TokenCredential,
  cluster: Cluster,
  kind: 'user' | 'admin' = 'user',
  format?: 'exec' | 'azure'
): Promise<string> {
  const aks = createContainerService(cred, cluster.subscriptionId, {
    endpoint: twin.url,
    credentials: { scopes: [SCENARIO.ARM_SCOPE] },
    apiVersion: '2025-10-01'
  })
  const res =
    kind === 'user'
      ? await listClusterUserCredentials(aks, cluster.resourceGroup, cluster.name, format ? { format } : {})
      : await listClusterAdminCredentials(aks, cluster.resourceGroup, cluster.name)
  return Buffer.from(res.kubeconfigs![0].value!).toString('utf8')
}

/** Swaps the kubelogin exec user of an Entra kubeconfig for a bearer token (what kubelogin would hand kubectl). */
export const withToken = (kubeconfig: string, token: string) => kubeconfig.replace(/ {4}exec:[\s\S]*$/, `    token: ${token}\n`)

export interface Kubectl {
  dir: string
  kubeconfig: string
  run(args: string[], opts?: { stdin?: string; timeoutMs?: number }): Promise<{ code: number; stdout: string; stderr: string }>
  write(name: string, text: string): Promise<string>
  close(): Promise<void>
}

/** kubectl as a child process, through the twin's CONNECT proxy, with its own HOME (discovery cache). */
export async function kubectlFor(twin: Twin, kubeconfig: string): Promise<Kubectl> {
  const dir = await mkdtemp(join(tmpdir(), 'twin-kubectl-'))
  await mkdir(join(dir, 'home'))
  const kc = join(dir, 'kubeconfig')
  await writeFile(kc, kubeconfig)
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'home'),
    HTTPS_PROXY: twin.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost'
  }
  return {
    dir,
    kubeconfig: kc,
    run: (args, opts = {}) =>
      new Promise((resolve) => {
        const child = execFile(
          KUBECTL,
          ['--kubeconfig', kc, ...args],
          { env, timeout: opts.timeoutMs ?? 60_000 },
          (error, stdout, stderr) => {
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: String(stdout), stderr: String(stderr) })
          }
        )
        if (opts.stdin !== undefined) child.stdin!.end(opts.stdin)
      }),
    async write(name, text) {
      const p = join(dir, name)
      await writeFile(p, text)
      return p
    },
    close: () => rm(dir, { recursive: true, force: true })
  }
}

export interface KubeResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  json?: any
}

/** A raw request to a cluster's API server: TLS to the twin with the cluster's name (SNI and Host), no proxy needed. */
export function kubeRequest(
  twin: Twin,
  cluster: Cluster,
  path: string,
  o: { method?: string; token?: string; body?: unknown; contentType?: string; accept?: string; lines?: number; timeoutMs?: number } = {}
): Promise<KubeResponse> {
  const port = Number(new URL(twin.url).port)
  return new Promise((resolve, reject) => {
    const body = o.body === undefined ? undefined : typeof o.body === 'string' ? o.body : JSON.stringify(o.body)
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername: cluster.fqdn,
        path,
        method: o.method ?? 'GET',
        ca: twin.caPem,
        headers: {
          host: `${cluster.fqdn}:443`,
          ...(o.token !== undefined ? { authorization: `Bearer ${o.token}` } : { authorization: `Bearer ${cluster.kube.tokens.user}` }),
          ...(body !== undefined ? { 'content-type': o.contentType ?? 'application/json' } : {}),
          ...(o.accept ? { accept: o.accept } : {})
        }
      },
      (res) => {
        let text = ''
        const done = () => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            /* a stream or text */
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json })
        }
        const timer = setTimeout(() => {
          res.destroy()
          done()
        }, o.timeoutMs ?? 10_000)
        res.on('data', (c: Buffer) => {
          text += c.toString('utf8')
          if (o.lines && text.split('\n').filter(Boolean).length >= o.lines) {
            clearTimeout(timer)
            res.destroy()
            done()
          }
        })
        res.on('end', () => {
          clearTimeout(timer)
          done()
        })
        res.on('error', () => {
          /* destroyed on purpose */
        })
      }
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** Polls until fn returns a truthy value (the controllers run on real timers). */
export async function eventually<T>(fn: () => T | undefined | false, timeoutMs = 15_000, stepMs = 50): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error('eventually: timed out')
    await new Promise((r) => setTimeout(r, stepMs))
  }
}

export const nginxManifest = (opts: { image: string; replicas?: number; deadline?: number; name?: string }) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${opts.name ?? 'nginx'}
  labels:
    app: ${opts.name ?? 'nginx'}
spec:
  replicas: ${opts.replicas ?? 2}
${opts.deadline ? `  progressDeadlineSeconds: ${opts.deadline}\n` : ''}  selector:
    matchLabels:
      app: ${opts.name ?? 'nginx'}
  template:
    metadata:
      labels:
        app: ${opts.name ?? 'nginx'}
    spec:
      containers:
      - name: nginx
        image: ${opts.image}
        ports:
        - containerPort: 80
`

export async function cleanup(k: Kubectl | undefined) {
  await k?.close()
}
export { rm }
