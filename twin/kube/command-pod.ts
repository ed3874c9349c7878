/**
 * The command pod of AKS run command (`command-<id>` in `aks-command`), for
 * real: a fresh scratch directory holding the context's files (the working
 * directory, as `az aks command invoke --file` puts them), a kubeconfig for
 * the cluster's API server, and `sh -c "<command>"` with the real kubectl on
 * PATH, reaching the API server through the cluster's own network. stdout and
 * stderr share one pipe, so `logs` interleave exactly as the command wrote
 * them; the first `logsCapBytes` bytes are kept. The command is killed, with
 * everything it started, at `timeLimitMs`. The scratch directory is removed
 * afterwards, whatever happened.
 */
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import type { Cluster } from '../state.ts'
import type { ZipEntry } from '../zip.ts'

export interface CommandPodSpec {
  id: string
  cluster: Cluster
  command: string
  files: ZipEntry[]
  /** The bearer token the pod's kubectl sends; none: kubectl sends no credentials. */
  token: string | undefined
  caPem: string
  /** The cluster network's proxy (the pod's HTTPS_PROXY). */
  proxyUrl: string
  logsCapBytes: number
  timeLimitMs: number
}

export interface CommandPodResult {
  /** The shell's exit code; undefined when the time limit killed it. */
  exitCode: number | undefined
  logs: string
  /** Bytes the command wrote, before the cap. */
  logBytes: number
  timedOut: boolean
}

export interface RunningPod {
  done: Promise<CommandPodResult>
  /** Ends the command now (the twin is closing). */
  kill(): void
}

const b64 = (s: string) => Buffer.from(s).toString('base64')

/** The kubeconfig mounted in the pod: the cluster's API server by name, the pod's credentials. */
export function podKubeconfig(c: Cluster, token: string | undefined, caPem: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${b64(caPem)}`,
    `    server: https://${c.fqdn}:443`,
    `  name: ${c.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${c.name}`,
    '    user: command-runner',
    `  name: ${c.name}`,
    `current-context: ${c.name}`,
    'users:',
    '- name: command-runner',
    token ? `  user:\n    token: ${token}` : '  user: {}',
    ''
  ].join('\n')
}

async function prepare(spec: CommandPodSpec): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await mkdtemp(join(tmpdir(), `twin-command-${spec.id.slice(0, 8)}-`))
  for (const f of spec.files) {
    const target = join(dir, f.name)
    if (f.dir) {
      await mkdir(target, { recursive: true })
      continue
    }
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, f.data)
  }
  const home = join(dir, '.home')
  await mkdir(join(home, '.kube'), { recursive: true })
  const kubeconfig = join(home, '.kube', 'config')
  await writeFile(kubeconfig, podKubeconfig(spec.cluster, spec.token, spec.caPem), { mode: 0o600 })
  // Nothing of the twin's (or the runner's) environment leaks in: the pod has its own.
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    KUBECONFIG: kubeconfig,
    HTTPS_PROXY: spec.proxyUrl,
    https_proxy: spec.proxyUrl
  }
  return { dir, env }
}

/** The shell leads its own process group (detached), so kubectl and anything else it started go too. */
function killGroup(child: ChildProcess | undefined) {
  if (child?.pid === undefined) return
  try {
    process.kill(-child.pid, 'SIGKILL')
  } catch {
    /* the group is gone already */
  }
}

export function startCommandPod(spec: CommandPodSpec): RunningPod {
  let child: ChildProcess | undefined
  let killed = false
  const done = (async (): Promise<CommandPodResult> => {
    const { dir, env } = await prepare(spec)
    try {
      if (killed) return { exitCode: undefined, logs: '', logBytes: 0, timedOut: false }
      // The outer shell joins stderr to stdout, then runs the command exactly as `sh -c "<command>"`.
      child = spawn('sh', ['-c', 'exec 2>&1; exec sh -c "$1"', 'sh', spec.command], {
        cwd: dir,
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
        detached: true
      })
      const kept: Buffer[] = []
      let keptBytes = 0
      let logBytes = 0
      child.stdout!.on('data', (chunk: Buffer) => {
        logBytes += chunk.length
        if (keptBytes >= spec.logsCapBytes) return
        const part = chunk.subarray(0, spec.logsCapBytes - keptBytes)
        kept.push(part)
        keptBytes += part.length
      })
      let timedOut = false
      const limit = setTimeout(() => {
        timedOut = true
        killGroup(child)
      }, spec.timeLimitMs)
      const closed = new Promise<void>((resolve) => child!.once('close', () => resolve()))
      const exitCode = await new Promise<number | undefined>((resolve) => {
        child!.once('error', () => resolve(127))
        child!.once('exit', (code) => resolve(code ?? undefined))
      })
      clearTimeout(limit)
      // A container ends with its main process: background children the shell left behind go
      // with it (they would otherwise hold the log pipe open).
      killGroup(child)
      await closed
      return { exitCode: timedOut ? undefined : exitCode, logs: Buffer.concat(kept).toString('utf8'), logBytes, timedOut }
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })()
  return {
    done,
    kill() {
      killed = true
      killGroup(child)
    }
  }
}
