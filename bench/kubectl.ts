// kubectl against a twin cluster, the way kubectl-agreement.test.ts runs it: the real binary,
// through the twin's CONNECT proxy, with the kubeconfig the action wrote (kubeconfig-output).
import { spawn } from 'node:child_process'
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Twin } from '../twin/index.ts'
import { tempDir } from './temp.ts'

export const KUBECTL = '/usr/bin/kubectl'

export interface KubectlRun {
  code: number
  out: string
  /** epoch ms */
  startedAt: number
  exitedAt: number
  timedOut: boolean
}

export function kubectl(twin: Twin, kubeconfig: string, args: string[], timeoutMs: number): Promise<KubectlRun> {
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: tempDir('kubectl-home'),
    HTTPS_PROXY: twin.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost'
  }
  const startedAt = Date.now()
  const child = spawn(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (c: Buffer) => (out += c.toString()))
  child.stderr.on('data', (c: Buffer) => (out += c.toString()))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  return new Promise((resolve) => {
    child.on('error', (error) => {
      clearTimeout(timer)
      resolve({ code: -1, out: `${out}${error.message}`, startedAt, exitedAt: Date.now(), timedOut })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code: code ?? -1, out, startedAt, exitedAt: Date.now(), timedOut })
    })
  })
}

/**
 * Copies the kubeconfig the action writes under RUNNER_TEMP (`aks-acr-*` / `kubeconfig`) while the
 * step still runs: the post step deletes it. Polls until `stop()`; `copied()` is the copy's path.
 */
export function captureKubeconfig(runnerTemp: string) {
  const target = join(tempDir('kubeconfig'), 'kubeconfig')
  let done = false
  const timer = setInterval(() => {
    if (done) return
    for (const entry of safeList(runnerTemp)) {
      const file = join(runnerTemp, entry, 'kubeconfig')
      if (!entry.startsWith('aks-acr-') || !existsSync(file)) continue
      try {
        const text = readFileSync(file, 'utf8')
        // Written in one go, but read it only once complete (server and a credential present).
        if (!/server: https:/.test(text) || !/token:|client-certificate-data:/.test(text) || !/current-context:/.test(text)) continue
        copyFileSync(file, target)
        done = true
      } catch {
        // Deleted or half written between the listing and the read: try again on the next tick.
      }
    }
  }, 5)
  return {
    stop: () => clearInterval(timer),
    copied: () => (done ? target : undefined)
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir)
  } catch {
    return []
  }
}
