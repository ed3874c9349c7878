// `npm run demo`: the action, end to end, with no Azure subscription. Starts the Azure twin (a
// local Entra ID, GitHub OIDC, ARM, ACR and AKS API server), runs the bundled action three times
// exactly as a GitHub runner would, and prints what the Actions UI would show for each run.
// Exits 0 only when every run behaved as the README promises, so it doubles as a smoke test.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, rmSync, statSync, readdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startTwin, type Twin } from '../twin/index.ts'
import { seedScenario, scenarioInputs, type Scenario } from '../twin/scenario.ts'
import {
  DIST,
  removeRunnerTemps,
  resolveInputs,
  runAction,
  unexpectedInputsWarning,
  type ActionRun,
  type StepInputs
} from './run-action.ts'
import { JWT_PATTERN, renderRunnerLog, renderStepHeader } from './runner-log.ts'
import { renderMarkdown } from './markdown.ts'
import { colourWanted, makeStyle, outputWidth, wrap } from './terminal.ts'

const ROOT = resolve(import.meta.dirname, '..')
const style = makeStyle(colourWanted())
const WIDTH = outputWidth()
/** Section bodies are indented this much under their titles. */
const INDENT = '  '
/** How the step would be written in a workflow (README's quick start). */
const USES = 'OWNER/aks-acr-action@v1'
const STAGING = 'myacrstaging'

const print = (line = '') => process.stdout.write(`${line}\n`)
const printBlock = (lines: string[]) => lines.forEach((l) => print((INDENT + l).trimEnd()))
const prose = (text: string) => wrap(text, WIDTH - INDENT.length).forEach((l) => print(INDENT + l))

interface Check {
  ok: boolean
  text: string
}
const check = (ok: boolean, text: string): Check => ({ ok, text })

function banner(title: string): void {
  print()
  print(style.bold(style.cyan(`━━ ${title} ${'━'.repeat(Math.max(3, WIDTH - title.length - 4))}`)))
}

function section(title: string): void {
  print()
  print(style.bold(title))
}

/** The newcomer's `npm ci` gives no dist/ when it is not committed: build it rather than fail. */
function ensureBundle(): void {
  if (existsSync(DIST)) {
    const built = statSync(DIST).mtimeMs
    // A few seconds' grace: a fresh clone writes src/ and dist/ in no particular order.
    if (newestIn(join(ROOT, 'src')) > built + 5_000) {
      print(
        style.yellow(
          `Note: src/ has changed since dist/index.js was built; the demo runs the bundle. Run \`npm run build\` to see your changes.`
        )
      )
    }
    return
  }
  print(style.dim('dist/index.js is missing: building it with `npm run build` ...'))
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' })
  if (build.status !== 0 || !existsSync(DIST))
    throw new DemoError('could not build dist/index.js: run `npm run build` and look at its errors')
}

function newestIn(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestIn(path) : statSync(path).mtimeMs)
  }
  return newest
}

class DemoError extends Error {}

/** What the runner log, the outputs and the summary of one run look like, then the run's checks. */
function show(run: ActionRun, inputs: StepInputs, secrets: string[]): void {
  const logOptions = { style, width: WIDTH - INDENT.length, secrets }
  section('Job log')
  printBlock(renderStepHeader(`Run ${USES}`, inputs.values, logOptions, inputs.defaulted))
  // The runner's warning about undeclared inputs comes first in the step's log.
  const warning = inputs.unexpected.length ? `::warning::${unexpectedInputsWarning(inputs)}\n` : ''
  printBlock(renderRunnerLog(warning + run.main.log, logOptions))
  const post = renderRunnerLog(run.post.log, logOptions)
  // The UI lists the post step separately, at the end of the job.
  printBlock([style.bold(`▶ Post Run ${USES}`), ...['Post job cleanup.', ...post].map((l) => `    ${l}`)])

  section('Step outputs')
  const outputs = Object.entries(run.main.outputs)
  if (!outputs.length) prose(style.dim('(none)'))
  const nameWidth = Math.max(0, ...outputs.map(([name]) => name.length))
  for (const [name, value] of outputs) {
    // Values hang under the first one; resource IDs wrap at their slashes.
    const hang = ' '.repeat(nameWidth + 3)
    const pretty = formatOutput(value)
    // Pretty JSON keeps its shape (a terminal wraps a long digest better than a cut would).
    const lines = pretty.length > 1 ? pretty : pretty.flatMap((line) => wrap(line, WIDTH - INDENT.length - hang.length))
    print(`${INDENT}${style.cyan(name.padEnd(nameWidth))} = ${lines[0]}`)
    for (const more of lines.slice(1)) print(`${INDENT}${hang}${more}`)
  }

  section('Job summary')
  if (run.main.summary.trim()) printBlock(renderMarkdown(run.main.summary, { style, width: WIDTH - INDENT.length }))
  else prose(style.dim('(empty)'))
}

/** JSON outputs (images, deployed) are pretty-printed; empty ones say so rather than vanish. */
function formatOutput(value: string): string[] {
  if (value === '') return [style.dim("''")]
  if (/^[[{]/.test(value.trim())) {
    try {
      return JSON.stringify(JSON.parse(value), null, 2).split('\n')
    } catch {
      // Not JSON after all: shown as it is.
    }
  }
  return value.split('\n')
}

function report(checks: Check[]): boolean {
  section('Checks')
  for (const c of checks) {
    const [first, ...rest] = wrap(c.text, WIDTH - INDENT.length - 2)
    const paint = c.ok ? (t: string) => t : style.red
    print(`${INDENT}${c.ok ? style.green('✓') : style.red('✗')} ${paint(first!)}`)
    for (const more of rest) print(`${INDENT}  ${paint(more)}`)
  }
  return checks.every((c) => c.ok)
}

/** Nothing that looks like a token may reach what a reader of the job would see. */
function noTokens(run: ActionRun, secrets: string[]): Check {
  const shown = [
    ...renderRunnerLog(run.main.log, { style: makeStyle(false), width: 10_000, secrets }),
    ...renderRunnerLog(run.post.log, { style: makeStyle(false), width: 10_000, secrets }),
    run.main.summary,
    ...Object.values(run.main.outputs)
  ].join('\n')
  return check(!JWT_PATTERN.test(shown), 'no token in the log, outputs or summary')
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`

function exitCheck(run: ActionRun, expected: number): Check {
  if (run.main.timedOut) return check(false, `the step hung and was stopped after ${seconds(run.main.durationMs)}`)
  // The post step runs whatever happened (post-if: always()) and must never fail the job itself.
  const post = run.post.exitCode === 0 ? 'post step 0' : `post step ${run.post.exitCode} (expected 0)`
  return check(
    run.main.exitCode === expected && run.post.exitCode === 0,
    `exit code ${run.main.exitCode} (expected ${expected}) in ${seconds(run.main.durationMs)}, ${post}`
  )
}

function runningPods(scenario: Scenario, app: string): { name: string; phase: string }[] {
  return scenario.cluster.kube
    .list('Pod', 'default')
    .filter((pod: any) => pod.metadata?.labels?.app === app)
    .map((pod: any) => ({ name: String(pod.metadata.name), phase: String(pod.status?.phase ?? 'Pending') }))
}

async function main(): Promise<boolean> {
  ensureBundle()
  print(style.bold('AKS ACR connect: demo'))
  prose(
    'This runs the bundled action (dist/index.js) three times, exactly as a GitHub runner runs a step, ' +
      'against the Azure twin: a local stand-in for GitHub OIDC, Entra ID, Azure Resource Manager, ' +
      "the container registries and the cluster's Kubernetes API. No Azure subscription, no az or " +
      'kubectl, and nothing leaves this machine.'
  )

  const twin: Twin = await startTwin()
  const workspace = mkdtempSync(join(tmpdir(), 'aks-acr-demo-workspace-'))
  let interrupted = false
  const onSignal = () => {
    interrupted = true
    // Closing the twin stops its clusters' controllers; then leave with the conventional code.
    void twin.close().finally(() => {
      rmSync(workspace, { recursive: true, force: true })
      removeRunnerTemps()
      process.exit(130)
    })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    // The checkout: the seed's manifest (with its `<acr-name>` placeholder) and a staging one.
    cpSync(join(import.meta.dirname, 'workspace'), workspace, { recursive: true })
    const scenario = seedScenario(twin)
    const { ids } = scenario
    const staging = twin.addRegistry({ subscriptionId: ids.SUB, resourceGroup: ids.RESOURCE_GROUP, name: STAGING })
    twin.addImage(staging, 'nginx:v1', { from: 'docker.io/library/nginx:latest' })

    const twinEnv = twin.env()
    // The runner masks its own credentials (the OIDC request token) from the first line on.
    const secrets = [twinEnv.ACTIONS_ID_TOKEN_REQUEST_TOKEN!]
    const common = scenarioInputs(twin)
    // A workflow leaves these to action.yml's defaults, which the runner fills in (resolveInputs).
    delete common.audience
    delete common.environment
    const timeoutMs = 180_000
    const runOnce = (inputs: StepInputs) => runAction({ inputs: inputs.values, env: twinEnv, workspace, timeoutMs })
    const nodes = scenario.cluster.kube.list('Node').length

    section('The world the twin serves')
    printBlock(
      renderMarkdown(
        [
          '| | |',
          '|---|---|',
          `| Tenant | ${ids.TENANT_NAME} \`${ids.TENANT_ID}\` |`,
          `| Subscription | Production \`${ids.SUB}\` |`,
          `| Signs in as | app ${ids.APP_NAME}, Owner of the subscription, federated credential for \`${ids.SUBJECT}\` (no secret) |`,
          `| Cluster | ${ids.CLUSTER} in ${ids.RESOURCE_GROUP} (${ids.LOCATION}), ${nodes} nodes, kubelet identity \`${scenario.kubeletObjectId}\` |`,
          `| Registries | ${scenario.registry.loginServer}: empty, not attached<br>${staging.loginServer}: holds nginx:v1, not attached |`,
          `| Workspace | k8s/acr-nginx.yaml: Deployment nginx0-deployment, 2 replicas of \`<acr-name>.azurecr.io/nginx:v1\`<br>k8s/staging/nginx.yaml: Deployment nginx-staging, 2 replicas of \`${staging.loginServer}/nginx:v1\` |`
        ].join('\n'),
        { style, width: WIDTH - INDENT.length }
      )
    )

    // Run 1: the README's happy path.
    banner('Run 1 of 3: attach, import and deploy')
    prose(
      `The happy path: grant the kubelet AcrPull on ${ids.REGISTRY}, import nginx from Docker Hub as nginx:v1, ` +
        'deploy the seed manifest and wait for both pods.'
    )
    const inputs1 = resolveInputs({
      ...common,
      mode: 'attach, import, deploy',
      images: 'docker.io/library/nginx:latest => nginx:v1',
      manifests: 'k8s/acr-nginx.yaml'
    })
    const run1 = await runOnce(inputs1)
    show(run1, inputs1, secrets)
    const pods = runningPods(scenario, 'nginx0')
    const ok1 = report([
      exitCheck(run1, 0),
      check(run1.main.outputs.ready === 'true', `output ready = ${run1.main.outputs.ready ?? '(unset)'}`),
      check(
        pods.length === 2 && pods.every((p) => p.phase === 'Running'),
        `the cluster's API server has ${pods.length} nginx0 pod(s): ${pods.map((p) => `${p.name} ${p.phase}`).join(', ') || 'none'}`
      ),
      noTokens(run1, secrets)
    ])

    // Run 2: the mistake the action exists to explain.
    banner('Run 2 of 3: deploy from a registry that was never attached')
    prose(
      `${staging.loginServer} holds nginx:v1 but was never attached to ${ids.CLUSTER}: the action sees the first ` +
        'pull fail and names the missing role within seconds, instead of waiting out the rollout timeout.'
    )
    const inputs2 = resolveInputs({ ...common, mode: 'deploy', registry: STAGING, manifests: 'k8s/staging/nginx.yaml' })
    const run2 = await runOnce(inputs2)
    show(run2, inputs2, secrets)
    const diagnosis = `has no AcrPull on ${STAGING}`
    const ok2 = report([
      exitCheck(run2, 1),
      check(
        !run2.main.timedOut && run2.main.durationMs < 30_000,
        `failed fast: ${seconds(run2.main.durationMs)} (the rollout timeout is ${inputs2.values.timeout ?? '5m'})`
      ),
      check(
        run2.main.log.includes(diagnosis) && run2.main.log.includes('mode: attach'),
        `the log says the kubelet identity ${diagnosis} and to run with mode: attach`
      ),
      check(run2.main.summary.includes(diagnosis), 'the job summary carries the same diagnosis'),
      noTokens(run2, secrets)
    ])

    // Run 3: undo run 1's attach.
    banner('Run 3 of 3: detach')
    prose(`Detach ${ids.REGISTRY} from ${ids.CLUSTER}: only the kubelet's pull assignment on the registry is deleted.`)
    const inputs3 = resolveInputs({ ...common, mode: 'detach' })
    const run3 = await runOnce(inputs3)
    show(run3, inputs3, secrets)
    const left = twin.roleAssignments({ scope: scenario.registry.id, principalId: scenario.kubeletObjectId })
    const ok3 = report([
      exitCheck(run3, 0),
      check(run3.main.outputs.changed === 'true', `output changed = ${run3.main.outputs.changed ?? '(unset)'}`),
      check(left.length === 0, `role assignments of the kubelet identity left on ${ids.REGISTRY}: ${left.length}`),
      noTokens(run3, secrets)
    ])

    const all = ok1 && ok2 && ok3
    banner(all ? 'All three runs behaved as expected' : 'Something did not behave as expected')
    if (all) {
      prose(
        'Run 1 attached, imported and deployed (two pods Running); run 2 failed in seconds naming the missing AcrPull; ' +
          'run 3 detached. Next: README.md for the inputs, `npm run twin` to keep the twin running and point your own tools at it.'
      )
    } else {
      const failed = [ok1 ? '' : 'run 1', ok2 ? '' : 'run 2', ok3 ? '' : 'run 3'].filter(Boolean).join(', ')
      prose(
        style.red(
          `The checks marked ✗ failed (${failed}). If you changed src/, rebuild with \`npm run build\`; the logs above show what the action did.`
        )
      )
    }
    return all
  } finally {
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    if (!interrupted) {
      await twin.close()
      rmSync(workspace, { recursive: true, force: true })
    }
  }
}

try {
  process.exitCode = (await main()) ? 0 : 1
} catch (error) {
  const message = error instanceof DemoError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)
  process.stderr.write(`${style.red('demo failed:')} ${message}\n`)
  process.exitCode = 2
}
