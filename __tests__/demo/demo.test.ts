import { it, expect } from '@jest/globals'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '../..')
/** The runner's node24 (the `node` dev dependency), as `npm run demo` uses it. */
const NODE24 = resolve(ROOT, 'node_modules/.bin/node')

/** `npm run demo` as a newcomer runs it, but piped: no TTY, and NO_COLOR, so the text is plain. */
function runDemo(): Promise<{ code: number; output: string }> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', COLUMNS: '100' }
  delete env.FORCE_COLOR
  const child = spawn(NODE24, ['demo/run.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return new Promise((done) => child.on('close', (code) => done({ code: code ?? -1, output })))
}

it('runs attach/import/deploy, the fail-fast diagnosis and detach against the twin, and shows them as GitHub would', async () => {
  const { code, output } = await runDemo()
  if (code !== 0) console.log(output)
  expect(code).toBe(0)
  // Long lines are wrapped for the terminal: phrases are looked for with whitespace collapsed.
  const flat = output.replace(/\s+/g, ' ')

  // Run 1: the rollout, in the log and in the summary's table (aligned columns, the ✅ and 2/2).
  expect(output).toContain('━━ Run 1 of 3')
  expect(flat).toContain('deployment/nginx0-deployment: deployment "nginx0-deployment" successfully rolled out')
  expect(output).toMatch(/^ {2}▶ Sign in to Azure with GitHub OIDC$/m)
  expect(output).toMatch(/^ {2}Deployment\/nginx0-deployment +default +✅ 2\/2 +nginx0-deployment-/m)
  expect(output).toMatch(/^ {2}attach +AcrPull [0-9a-f-]{36} +myacr +✅ created$/m)
  expect(output).toMatch(/^ {2}docker\.io\/library\/nginx:latest +myacr\.azurecr\.io\/nginx:v1 +sha256:/m)
  expect(output).toMatch(/^ {2}ready +=\s+true$/m)

  // Run 2: fails fast, the diagnosis as a red Error: line in the log and in the summary.
  expect(output).toContain('━━ Run 2 of 3')
  expect(output).toMatch(/^ {2}Error: Rollout of deployment\/nginx-staging failed fast/m)
  expect(flat).toMatch(
    /the kubelet identity [0-9a-f-]{36} of cluster myAKSCluster has no AcrPull on myacrstaging: run the action with mode: attach/
  )
  expect(flat).toContain('Diagnosis pod nginx-staging-')
  expect(output).toMatch(/^ {2}✓ exit code 1 \(expected 1\) in \d+\.\d s, post step 0$/m)

  // Run 3: the detach, in the log, outputs and summary.
  expect(output).toContain('━━ Run 3 of 3: detach')
  expect(output).toContain('▶ Detach the registry from the cluster')
  expect(output).toMatch(/^ {2}detach +AcrPull [0-9a-f-]{36} +myacr +🗑️ deleted$/m)
  expect(output).toMatch(/^ {2}changed +=\s+true$/m)

  expect(output).toContain('━━ All three runs behaved as expected')
  expect(output).not.toContain('✗')

  // What the runner consumes never shows: no workflow commands, no escapes, no tokens, no colour.
  expect(output).not.toMatch(/^\s*::[a-z-]+( [^:]*)?::/m)
  expect(output).not.toMatch(/%0A|%25/)
  expect(output).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/)
  expect(output).not.toContain('\x1b')
}, 180_000)
