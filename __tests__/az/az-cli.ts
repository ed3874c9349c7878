// The Azure CLI (the seed's own tool) pointed at the twin, the way a new user would point it at a
// sovereign cloud: a custom cloud whose endpoints are the twin, a service-principal sign-in with a
// GitHub OIDC token as the federated assertion, the twin's CA for Python's requests, and the
// twin's CONNECT proxy for registry and cluster hosts. Plain TypeScript without jest, so that
// `npm run bench` drives az with these same helpers.
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { delimiter, join, resolve } from 'node:path'
import type { Twin } from '../../twin/index.ts'

/** Restores what Debian's az 2.45 `acs` module expects of azure-mgmt-authorization (see the file). */
export const SHIM_DIR = resolve(import.meta.dirname, 'shim')
export const CLOUD = 'AzureTwin'
export const INSTALL_HINT = 'apt-get install azure-cli'

/** The `az` on PATH, if any. */
export function findAz(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'az')
    if (dir && existsSync(candidate)) return candidate
  }
  return undefined
}

export function azVersion(az = findAz()): string | undefined {
  if (!az) return undefined
  const dir = mkdtempSync(join(tmpdir(), 'twin-az-version-'))
  try {
    const out = execFileSync(az, ['version', '-o', 'json'], { encoding: 'utf8', timeout: 60_000, env: quietEnv(dir) })
    return (JSON.parse(out) as Record<string, string>)['azure-cli']
  } catch {
    return undefined
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export interface AzRun {
  code: number
  stdout: string
  stderr: string
  /** epoch ms */
  startedAt: number
  exitedAt: number
}

export interface AzSession {
  /** HOME and AZURE_CONFIG_DIR live here; removed by close(). */
  dir: string
  run(args: string[], opts?: { timeoutMs?: number }): Promise<AzRun>
  close(): void
}

export interface SignIn {
  tenantId: string
  clientId: string
  subscriptionId: string
  /** A fresh GitHub OIDC token (audience api://AzureADTokenExchange) for `--federated-token`. */
  assertion: () => Promise<string>
}

/** No telemetry, no survey, no AI recommendations (each would be a call to Microsoft), no colour. */
function quietEnv(dir: string): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    AZURE_CONFIG_DIR: join(dir, 'azure'),
    AZURE_CORE_COLLECT_TELEMETRY: 'false',
    AZURE_CORE_SURVEY_MESSAGE: 'false',
    AZURE_CORE_ERROR_RECOMMENDATION: 'off',
    AZURE_CORE_NO_COLOR: 'true',
    AZURE_CORE_DISABLE_PROGRESS_BAR: 'true',
    AZURE_CORE_OUTPUT: 'json'
  }
}

/**
 * The cloud az is told about. Entra sits behind `{twin}/adfs`: MSAL for Python checks any other
 * authority at login.microsoftonline.com first, and az 2.45 cannot turn that off. The audiences
 * stay the public cloud's, which the twin's ARM and Graph accept.
 */
export const cloudConfig = (twin: Twin) => ({
  endpoints: {
    resourceManager: `${twin.url}/`,
    activeDirectory: `${twin.url}/adfs`,
    activeDirectoryResourceId: 'https://management.core.windows.net/',
    activeDirectoryGraphResourceId: 'https://graph.windows.net/',
    microsoftGraphResourceId: 'https://graph.microsoft.com/',
    management: 'https://management.core.windows.net/'
  },
  suffixes: { acrLoginServerEndpoint: '.azurecr.io' }
})

/** A signed-in az with a config directory of its own: `az cloud register`, `az login`, `az account set`. */
export async function azSession(twin: Twin, who: SignIn, az = findAz()): Promise<AzSession> {
  if (!az) throw new Error(`az is not installed (${INSTALL_HINT})`)
  const dir = mkdtempSync(join(tmpdir(), 'twin-az-'))
  const env = {
    ...quietEnv(dir),
    // Python's requests (az, MSAL) trust this bundle and nothing else: only the twin answers.
    REQUESTS_CA_BUNDLE: twin.caFile,
    // Registry and cluster hosts go through the twin's proxy; ARM and Entra are the twin itself.
    HTTPS_PROXY: twin.proxyUrl,
    NO_PROXY: '127.0.0.1,localhost',
    PYTHONPATH: SHIM_DIR,
    // Python would otherwise cache the shim's bytecode inside the repository.
    PYTHONDONTWRITEBYTECODE: '1'
  }
  const run = (args: string[], opts: { timeoutMs?: number } = {}) => runAz(az, args, env, opts.timeoutMs ?? 300_000)
  const must = async (args: string[]) => {
    const out = await run(args)
    if (out.code !== 0) throw new Error(`az ${args[0]} ${args[1] ?? ''} exited ${out.code}: ${out.stderr.trim()}`)
    return out
  }
  try {
    // The first command of a fresh config dir checks for a newer az (HEAD https://azure.microsoft.com,
    // then GitHub). Let it meet a closed loopback port: az notes it is offline and does not ask again
    // for a day, so no later command tries to leave through the twin's proxy.
    await runAz(az, ['cloud', 'list', '-o', 'none'], { ...env, HTTPS_PROXY: `http://127.0.0.1:${await closedLoopbackPort()}` }, 60_000)
    const cloudFile = join(dir, 'cloud.json')
    writeFileSync(cloudFile, JSON.stringify(cloudConfig(twin)))
    await must(['cloud', 'register', '-n', CLOUD, '--cloud-config', `@${cloudFile}`])
    await must(['cloud', 'set', '-n', CLOUD])
    await must([
      'login',
      '--service-principal',
      '-u',
      who.clientId,
      '--tenant',
      who.tenantId,
      '--federated-token',
      await who.assertion(),
      '-o',
      'none'
    ])
    await must(['account', 'set', '-s', who.subscriptionId])
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    throw error
  }
  return { dir, run, close: () => rmSync(dir, { recursive: true, force: true }) }
}

function runAz(az: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<AzRun> {
  const startedAt = Date.now()
  // stdin is /dev/null, as in CI: `az aks check-acr` then runs `kubectl run -it` without a terminal.
  const child = spawn(az, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
  return new Promise((done) => {
    child.on('error', (error) => {
      clearTimeout(timer)
      done({ code: -1, stdout, stderr: `${stderr}${error.message}`, startedAt, exitedAt: Date.now() })
    })
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code: code ?? -1, stdout, stderr, startedAt, exitedAt: Date.now() })
    })
  })
}

/** A loopback port nothing listens on (one the OS just handed out and took back). */
function closedLoopbackPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}
