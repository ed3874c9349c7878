import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const DIST = resolve(import.meta.dirname, '../../dist/index.js')
/** The runner's node24, from the `node` dev dependency, whatever node started jest. */
const NODE24 = resolve(import.meta.dirname, '../../node_modules/.bin/node')

export interface ActionRun {
  exitCode: number
  /** What the step saved for its post step (GITHUB_STATE), as the runner passes it on. */
  state: Record<string, string>
  /** What the runner log would show: stdout and stderr interleaved as they arrived. */
  log: string
  outputs: Record<string, string>
  summary: string
  durationMs: number
}

/**
 * Runs the bundled action as the runner does: `node dist/index.js` with INPUT_* variables, files for
 * GITHUB_OUTPUT and GITHUB_STEP_SUMMARY, and the environment the twin hands out (OIDC, CA, proxy).
 * The parent's environment is not inherited, so nothing from the machine leaks into a test.
 */
export async function runAction(inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  const dir = mkdtempSync(join(tmpdir(), 'aks-acr-run-'))
  const outputFile = join(dir, 'output')
  const summaryFile = join(dir, 'summary')
  const stateFile = join(dir, 'state')
  writeFileSync(stateFile, '')
  writeFileSync(outputFile, '')
  writeFileSync(summaryFile, '')
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: dir,
    RUNNER_TEMP: dir,
    GITHUB_ACTIONS: 'true',
    // The runner always says where it runs; tests of self-hosted runners override it.
    RUNNER_ENVIRONMENT: 'github-hosted',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_STATE: stateFile,
    ...env
  }
  for (const [name, value] of Object.entries(inputs)) childEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value

  const started = Date.now()
  const child = spawn(NODE24, [DIST], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
  const exitCode = await new Promise<number>((done) => child.on('close', (code) => done(code ?? -1)))
  const run = {
    exitCode,
    log,
    outputs: parseOutputs(readFileSync(outputFile, 'utf8')),
    state: parseOutputs(readFileSync(stateFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    durationMs: Date.now() - started
  }
  rmSync(dir, { recursive: true, force: true })
  return run
}

/** Runs the post step as the runner does: the main step's saved state arrives as STATE_<name>. */
export function runPost(state: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]))
  return runAction({}, { ...env, ...stateEnv })
}

/** The runner's GITHUB_OUTPUT format: `name<<DELIMITER\nvalue\nDELIMITER`. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!)
    if (!match) continue
    const [, name, delimiter] = match
    const value: string[] = []
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i]!)
    outputs[name!] = value.join('\n')
  }
  return outputs
}

/** The run's failure (its last `::error::` annotation, which setFailed writes), decoded. */
export function errorAnnotation(log: string): string {
  const line = log.split('\n').findLast((l) => l.startsWith('::error::'))
  return (line ?? '').slice('::error::'.length).replace(/%0A/g, '\n').replace(/%0D/g, '\r').replace(/%25/g, '%')
}
