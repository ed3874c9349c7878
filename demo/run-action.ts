// Runs the bundled action the way the GitHub runner runs a `node24` action: the main step, then
// its post step (action.yml has `post-if: always()`), each a fresh `node dist/index.js` process.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { load } from 'js-yaml'

const ROOT = resolve(import.meta.dirname, '..')
export const DIST = join(ROOT, 'dist', 'index.js')
// The runner's node24 comes from the `node` dev dependency, whatever node started the demo.
export const NODE24 = join(ROOT, 'node_modules', '.bin', 'node')

export interface StepRun {
  exitCode: number
  /** stdout and stderr interleaved as they arrived: the raw text the runner reads commands from. */
  log: string
  outputs: Record<string, string>
  /** What the step saved with `core.saveState`, which the runner hands to the post step. */
  state: Record<string, string>
  summary: string
  durationMs: number
  timedOut: boolean
}

export interface ActionRun {
  main: StepRun
  post: StepRun
}

export interface RunOptions {
  /** The step's inputs as the runner resolved them (`resolveInputs`). */
  inputs: Record<string, string>
  /** The twin's environment (OIDC request variables, CA, proxy) and anything else the job sets. */
  env: Record<string, string>
  workspace: string
  /** A hung step is killed after this long, so the demo always ends. */
  timeoutMs?: number
}

export interface StepInputs {
  /** What the runner passes: the step's `with:` over action.yml's defaults, in action.yml's order. */
  values: Record<string, string>
  /** `with:` keys action.yml does not declare; the runner passes them anyway, with a warning. */
  unexpected: string[]
  declared: string[]
  /** Inputs the step did not set, passed with action.yml's default. */
  defaulted: string[]
}

/**
 * What the runner makes of a step's `with:`: every input action.yml declares with a default is
 * passed even when the workflow does not set it, so the action sees exactly what it would see on
 * GitHub. Read from action.yml at run time, so the demo follows the action as it changes.
 */
export function resolveInputs(given: Record<string, string>): StepInputs {
  const action = load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as { inputs?: Record<string, { default?: unknown } | null> }
  const declared = Object.keys(action.inputs ?? {})
  const values: Record<string, string> = {}
  const defaulted: string[] = []
  for (const name of declared) {
    const fallback = action.inputs?.[name]?.default
    if (given[name] !== undefined) values[name] = given[name]
    else if (fallback !== undefined && fallback !== null) {
      values[name] = String(fallback)
      defaulted.push(name)
    }
  }
  const unexpected = Object.keys(given).filter((name) => !declared.includes(name))
  for (const name of unexpected) values[name] = given[name]!
  return { values, unexpected, declared, defaulted }
}

/** The runner's own warning for `with:` keys the action does not declare. */
export const unexpectedInputsWarning = (inputs: StepInputs) =>
  `Unexpected input(s) ${inputs.unexpected.map((n) => `'${n}'`).join(', ')}, valid inputs are [${inputs.declared.map((n) => `'${n}'`).join(', ')}]`

/** `INPUT_<NAME>`: the runner upper-cases the input name and turns spaces (not dashes) into `_`. */
export function inputVariables(inputs: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(inputs).map(([name, value]) => [`INPUT_${name.replace(/ /g, '_').toUpperCase()}`, value]))
}

/** RUNNER_TEMP directories in use, so an interrupted demo can still remove them. */
const liveTemps = new Set<string>()
export function removeRunnerTemps(): void {
  for (const dir of liveTemps) rmSync(dir, { recursive: true, force: true })
  liveTemps.clear()
}

export async function runAction(options: RunOptions): Promise<ActionRun> {
  // One RUNNER_TEMP for the job: the post step must find what the main step left there.
  const runnerTemp = mkdtempSync(join(tmpdir(), 'aks-acr-demo-runner-'))
  liveTemps.add(runnerTemp)
  try {
    const base = {
      // Only what a hosted runner would set: nothing from this machine's environment leaks in,
      // so the demo behaves the same on every laptop (no stray HTTPS_PROXY, AZURE_*, ...).
      PATH: process.env.PATH ?? '',
      HOME: runnerTemp,
      CI: 'true',
      GITHUB_ACTIONS: 'true',
      GITHUB_REPOSITORY: 'octo-org/octo-app',
      GITHUB_REF: 'refs/heads/main',
      GITHUB_WORKSPACE: options.workspace,
      RUNNER_TEMP: runnerTemp,
      ...options.env
    }
    const main = await runStep(join(runnerTemp, 'main'), { ...base, ...inputVariables(options.inputs) }, options.timeoutMs)
    // The post step gets the inputs again and the main step's state as STATE_<name>.
    const stateVars = Object.fromEntries(Object.entries(main.state).map(([name, value]) => [`STATE_${name}`, value]))
    const post = await runStep(join(runnerTemp, 'post'), { ...base, ...inputVariables(options.inputs), ...stateVars }, options.timeoutMs)
    return { main, post }
  } finally {
    rmSync(runnerTemp, { recursive: true, force: true })
    liveTemps.delete(runnerTemp)
  }
}

async function runStep(fileStem: string, env: Record<string, string>, timeoutMs = 180_000): Promise<StepRun> {
  // The runner gives every step its own GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and GITHUB_STATE file.
  const files = { GITHUB_OUTPUT: `${fileStem}-output`, GITHUB_STEP_SUMMARY: `${fileStem}-summary`, GITHUB_STATE: `${fileStem}-state` }
  for (const file of Object.values(files)) writeFileSync(file, '')
  const started = Date.now()
  const child = spawn(NODE24, [DIST], { env: { ...env, ...files }, stdio: ['ignore', 'pipe', 'pipe'] })
  let log = ''
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGKILL')
  }, timeoutMs)
  const exitCode = await new Promise<number>((done) => {
    child.on('error', (error) => {
      log += `${error.message}\n`
      done(-1)
    })
    child.on('close', (code) => done(code ?? -1))
  })
  clearTimeout(timer)
  return {
    exitCode,
    log,
    outputs: parseFileCommands(readFileSync(files.GITHUB_OUTPUT, 'utf8')),
    state: parseFileCommands(readFileSync(files.GITHUB_STATE, 'utf8')),
    summary: readFileSync(files.GITHUB_STEP_SUMMARY, 'utf8'),
    durationMs: Date.now() - started,
    timedOut
  }
}

/**
 * The runner's file-command format: `name<<DELIMITER` … `DELIMITER` (what @actions/core writes)
 * or a single `name=value` line.
 */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split(/\r?\n/)
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const value: string[] = []
      for (i++; i < lines.length && lines[i] !== heredoc[2]; i++) value.push(lines[i]!)
      values[heredoc[1]!] = value.join('\n')
    } else if (line.includes('=')) {
      const at = line.indexOf('=')
      values[line.slice(0, at)] = line.slice(at + 1)
    }
  }
  return values
}
