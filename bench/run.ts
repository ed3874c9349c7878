// `npm run bench`: the action's timing goals, measured against the Azure twin in one run.
//   1. imports: one run importing 1 image versus one importing 20 (goal: ratio ≤ 2.0)
//   2. fail fast: first ErrImagePull → exit, the action versus `kubectl rollout status`
//   3. deploy: 1 Deployment versus 50 in one manifest
//   4. attach: `az aks update --attach-acr` versus the action (requests, writes, chain, wall time)
//   5. import 5 images: `az acr import` one at a time versus the action's concurrent imports
//      (4 and 5 need the Azure CLI; without it the bench says so and leaves them out)
//   6. a private cluster: the seed's deploy through the AKS run-command API with a command pod that
//      takes 5 s to start, the action (goal: at most 3 command pods) versus k8s-deploy's one pod per call
// Every run is `node dist/index.js` exactly as the runner runs it (demo/run-action.ts), main step
// then post step; times are the main step's wall time. Prints a table, writes bench/results.json.
// Exits non-zero only on errors (a run that did not do what it had to); a missed goal is reported.
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { cpus, arch, platform, totalmem } from 'node:os'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { join, resolve } from 'node:path'
import { startTwin, type RequestRecord, type Twin } from '../twin/index.ts'
import type { Cluster } from '../twin/state.ts'
import { DIST, removeRunnerTemps, resolveInputs, runAction, type ActionRun } from '../demo/run-action.ts'
import { describeTimeline, timelineOf, type Timeline } from './timeline.ts'
import { captureKubeconfig, kubectl } from './kubectl.ts'
import { baseInputs, buildWorld, freshPair, freshRegistry, type World } from '../__tests__/e2e/world.ts'
import { deployment, workspaceWith } from '../__tests__/e2e/workspace.ts'
import { removeTemps, tempDir } from './temp.ts'
import { privateCluster, privateClusterLines } from './private-cluster.ts'
import { trustTwinCa } from '../twin/trust.ts'
import { azVersion, findAz, INSTALL_HINT } from '../__tests__/az/az-cli.ts'
import { versusAz, versusLines, type RunAction, type VersusAz } from './versus-az.ts'

const ROOT = resolve(import.meta.dirname, '..')
const RESULTS = join(import.meta.dirname, 'results.json')

/** Injected before every answer of the twin, in every section. */
const LATENCY_MS = 50
const IMPORT_DURATION_MS = 1000
const REPEATS = 3
const IMPORT_GOAL = 2.0
/** One run of the action never takes longer than this; kubectl's own limit is --timeout=120s. */
const RUN_TIMEOUT_MS = 180_000
const KUBECTL_TIMEOUT_MS = 150_000
/** The whole bench, whatever hangs. */
const BENCH_TIMEOUT_MS = 15 * 60_000
const POLL_MS = 20

class BenchError extends Error {}

const print = (line = '') => process.stdout.write(`${line}\n`)
const progress = (line: string) => process.stderr.write(`  · ${line}\n`)
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

interface Sample {
  ms: number
  postMs: number
  requests: number
  timeline: Timeline
  /** The twin's share: CPU it used during the main step (it runs in this process), and how late its event loop ran. */
  twinCpuMs: number
  twinLoopDelayP99Ms: number
  /** CPU of the action's own processes (main and post step), from this process's reaped-children times. */
  actionCpuMs: number | undefined
  /** Deploy runs: every Deployment available in the cluster's store, ms after the spawn. */
  readyAtMs?: number
  /** The raw request log (ms after the spawn), kept for the median run only. */
  log?: Array<[number, number, string, string, string, number]>
}

interface Timed {
  run: ActionRun
  spawnedAt: number
  exitedAt: number
  records: RequestRecord[]
  twinCpuMs: number
  twinLoopDelayP99Ms: number
  actionCpuMs: number | undefined
}

/**
 * CPU time of the child processes this process has waited for (Linux: cutime + cstime of
 * /proc/self/stat, in clock ticks of 10 ms), so the action's own CPU can be told from the twin's.
 */
function childrenCpuMs(): number | undefined {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[13]) + Number(fields[14])) * 10
  } catch {
    return undefined
  }
}

/** One action run; the requests the twin answered while its main step ran. */
async function timedRun(twin: Twin, inputs: Record<string, string>, workspace: string, env: Record<string, string> = {}): Promise<Timed> {
  const since = twin.requests.length
  const loop = monitorEventLoopDelay({ resolution: 10 })
  loop.enable()
  const cpu = process.cpuUsage()
  const children = childrenCpuMs()
  const spawnedAt = Date.now()
  const run = await runAction({
    inputs: resolveInputs(inputs).values,
    env: { ...twin.env(), ...env },
    workspace,
    timeoutMs: RUN_TIMEOUT_MS
  })
  // runAction spawns the main step synchronously after creating its temp files: its wall time
  // from here is the step's own, within a millisecond.
  const exitedAt = spawnedAt + run.main.durationMs
  // Includes the post step's few hundred ms, in which the twin answers nothing.
  const used = process.cpuUsage(cpu)
  const childrenAfter = childrenCpuMs()
  loop.disable()
  const records = twin.requests.slice(since).filter((r) => Date.parse(r.time) <= exitedAt)
  if (run.main.timedOut) throw new BenchError(`a run hung and was killed after ${seconds(run.main.durationMs)}:\n${tail(run.main.log)}`)
  if (run.post.exitCode !== 0) throw new BenchError(`the post step exited ${run.post.exitCode}:\n${tail(run.post.log)}`)
  return {
    run,
    spawnedAt,
    exitedAt,
    records,
    twinCpuMs: (used.user + used.system) / 1000,
    twinLoopDelayP99Ms: loop.percentile(99) / 1e6,
    actionCpuMs: children === undefined || childrenAfter === undefined ? undefined : childrenAfter - children
  }
}

const tail = (log: string) =>
  log
    .split('\n')
    .filter((l) => !l.startsWith('::add-mask::') && !l.startsWith('::debug::'))
    .slice(-15)
    .join('\n')

const sampleOf = (t: Timed): Sample => ({
  ms: t.run.main.durationMs,
  postMs: t.run.post.durationMs,
  requests: t.records.length,
  timeline: timelineOf(t.records, t.spawnedAt, t.exitedAt),
  twinCpuMs: t.twinCpuMs,
  twinLoopDelayP99Ms: t.twinLoopDelayP99Ms,
  actionCpuMs: t.actionCpuMs,
  log: t.records.map((r) => [
    Date.parse(r.time) - t.spawnedAt,
    r.durationMs,
    r.method,
    r.host,
    `${r.path}${r.query.watch ? '?watch' : ''}`,
    r.status
  ])
})

interface Series {
  label: string
  samples: Sample[]
  medianMs: number
  /** The sample whose time is the median, for the timeline. */
  representative: Sample
}

function series(label: string, samples: Sample[]): Series {
  const medianMs = median(samples.map((s) => s.ms))
  const representative = [...samples].sort((a, b) => Math.abs(a.ms - medianMs) - Math.abs(b.ms - medianMs))[0]!
  for (const s of samples) if (s !== representative) delete s.log
  return { label, samples, medianMs, representative }
}

// ---- 1. imports -------------------------------------------------------------------------------

async function importOnce(world: World, count: number): Promise<Sample> {
  const registry = freshRegistry(world)
  const images = Array.from({ length: count }, (_, i) => `nginx:1.27 => bench/nginx:${i}`).join('\n')
  const timed = await timedRun(world.twin, { ...baseInputs(world, undefined, registry.name), mode: 'import', images }, tempDir('workspace'))
  if (timed.run.main.exitCode !== 0)
    throw new BenchError(`importing ${count} image(s) failed (exit ${timed.run.main.exitCode}):\n${tail(timed.run.main.log)}`)
  const tags = world.twin.imagesOf(registry.loginServer).filter((i) => i.repository === 'bench/nginx' && i.tag !== undefined)
  if (tags.length !== count) throw new BenchError(`importing ${count} image(s) left ${tags.length} tag(s) in ${registry.loginServer}`)
  return sampleOf(timed)
}

async function imports(world: World) {
  const { twin } = world
  twin.state.importDurationMs = IMPORT_DURATION_MS
  const one: Sample[] = []
  const twenty: Sample[] = []
  // Interleaved, so drift (caches, a busy machine) touches both sizes alike.
  for (let i = 0; i < REPEATS; i++) {
    one.push(await importOnce(world, 1))
    progress(`import 1 image, run ${i + 1}/${REPEATS}: ${seconds(one.at(-1)!.ms)}`)
    twenty.push(await importOnce(world, 20))
    progress(`import 20 images, run ${i + 1}/${REPEATS}: ${seconds(twenty.at(-1)!.ms)}`)
  }
  const a = series('import 1 image', one)
  const b = series('import 20 images', twenty)
  const ratio = b.medianMs / a.medianMs
  return { one: a, twenty: b, ratio, goal: IMPORT_GOAL, pass: ratio <= IMPORT_GOAL }
}

// ---- 2. fail fast -----------------------------------------------------------------------------

/** Epoch ms when `condition` first held, polling the cluster's store every 20 ms. */
function watchStore(condition: () => boolean) {
  let first: number | undefined
  const timer = setInterval(() => {
    if (first === undefined && condition()) first = Date.now()
  }, POLL_MS)
  return {
    stop: () => clearInterval(timer),
    first: () => first
  }
}

/** The first pod in `namespace` with a container waiting in ErrImagePull. */
const watchErrImagePull = (cluster: Cluster, namespace: string) =>
  watchStore(() =>
    (cluster.kube.list('Pod', namespace) as Array<Record<string, any>>).some((pod) =>
      [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])].some(
        (s: any) => s.state?.waiting?.reason === 'ErrImagePull'
      )
    )
  )

const FAILING = { name: 'web', replicas: 2, deadline: 30 }

async function failFast(world: World) {
  const { twin } = world

  // (a) the action: mode deploy, registry never attached.
  const a = freshPair(world)
  twin.addImage(a.registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
  const image = `${a.registry.loginServer}/web:1`
  const workspaceA = workspaceWith({ 'k8s/app.yaml': deployment(FAILING.name, image, FAILING) })
  const watchA = watchErrImagePull(a.cluster, 'default')
  let action: Timed
  try {
    action = await timedRun(twin, { ...baseInputs(world, a.cluster, a.registry.name), mode: 'deploy', manifests: 'k8s' }, workspaceA)
  } finally {
    watchA.stop()
    a.cluster.kube.stop()
  }
  const firstA = watchA.first()
  if (action.run.main.exitCode !== 1)
    throw new BenchError(
      `the action should fail on a registry never attached, it exited ${action.run.main.exitCode}:\n${tail(action.run.main.log)}`
    )
  if (firstA === undefined) throw new BenchError('the action failed, but no pod ever showed ErrImagePull:\n' + tail(action.run.main.log))
  if (!/has no AcrPull/.test(action.run.main.log))
    throw new BenchError(`the action failed without naming the missing AcrPull:\n${tail(action.run.main.log)}`)
  progress(`action: ErrImagePull → exit ${seconds(action.exitedAt - firstA)}`)

  // (b) kubectl: a kubeconfig from the action (kubeconfig-output, on a quick warm-up deploy of an
  // upstream image), then `kubectl apply` and at once `kubectl rollout status`.
  const b = freshPair(world)
  twin.addImage(b.registry, 'web:1', { from: 'docker.io/library/nginx:1.27' })
  const runnerTemp = tempDir('runner-temp')
  const capture = captureKubeconfig(runnerTemp)
  let warmup: Timed
  try {
    warmup = await timedRun(
      twin,
      { ...baseInputs(world, b.cluster, b.registry.name), mode: 'deploy', manifests: 'k8s', 'kubeconfig-output': 'true' },
      workspaceWith({ 'k8s/warmup.yaml': deployment('warmup', 'docker.io/library/nginx:1.27', { replicas: 1 }) }),
      { RUNNER_TEMP: runnerTemp }
    )
  } finally {
    capture.stop()
  }
  const kubeconfig = capture.copied()
  if (warmup.run.main.exitCode !== 0 || !kubeconfig) {
    throw new BenchError(
      `could not get a kubeconfig from the action (exit ${warmup.run.main.exitCode}, kubeconfig ${kubeconfig ? 'copied' : 'not seen'}):\n${tail(warmup.run.main.log)}`
    )
  }
  const manifest = join(tempDir('manifest'), 'app.yaml')
  writeFileSync(manifest, deployment(FAILING.name, `${b.registry.loginServer}/web:1`, FAILING))
  const watchB = watchErrImagePull(b.cluster, 'default')
  let applied: Awaited<ReturnType<typeof kubectl>>
  let status: Awaited<ReturnType<typeof kubectl>>
  try {
    applied = await kubectl(twin, kubeconfig, ['apply', '-f', manifest], 60_000)
    if (applied.code !== 0) throw new BenchError(`kubectl apply failed (${applied.code}): ${applied.out}`)
    status = await kubectl(twin, kubeconfig, ['rollout', 'status', `deployment/${FAILING.name}`, '--timeout=120s'], KUBECTL_TIMEOUT_MS)
  } finally {
    watchB.stop()
    b.cluster.kube.stop()
  }
  const firstB = watchB.first()
  if (status.timedOut) throw new BenchError('kubectl rollout status hung past its own --timeout')
  if (status.code === 0 || !/exceeded its progress deadline/.test(status.out))
    throw new BenchError(`kubectl rollout status should report the progress deadline (exit ${status.code}): ${status.out}`)
  if (firstB === undefined) throw new BenchError('kubectl failed, but no pod ever showed ErrImagePull')
  progress(`kubectl: ErrImagePull → exit ${seconds(status.exitedAt - firstB)}`)

  return {
    deployment: { ...FAILING, registryAttached: false },
    action: {
      errImagePullToExitMs: action.exitedAt - firstA,
      spawnToErrImagePullMs: firstA - action.spawnedAt,
      totalMs: action.run.main.durationMs,
      exitCode: action.run.main.exitCode,
      timeline: timelineOf(action.records, action.spawnedAt, action.exitedAt),
      log: sampleOf(action).log
    },
    kubectl: {
      errImagePullToExitMs: status.exitedAt - firstB,
      applyMs: applied.exitedAt - applied.startedAt,
      rolloutStatusStartToExitMs: status.exitedAt - status.startedAt,
      exitCode: status.code,
      message: status.out.trim().split('\n').at(-1) ?? ''
    }
  }
}

// ---- 3. deploy --------------------------------------------------------------------------------

async function deployOnce(world: World, count: number): Promise<Sample> {
  const { twin } = world
  const { cluster, registry } = freshPair(world)
  twin.addRoleAssignment({ scope: registry.id, role: 'AcrPull', principalId: cluster.pullPrincipalId })
  twin.addImage(registry, 'app:1', { from: 'docker.io/library/nginx:1.27' })
  const manifest = Array.from({ length: count }, (_, i) => deployment(`app-${i}`, `${registry.loginServer}/app:1`, { replicas: 1 })).join(
    '---\n'
  )
  const ready = watchStore(() => {
    const all = cluster.kube.list('Deployment', 'default') as Array<Record<string, any>>
    return (
      all.length === count &&
      all.every(
        (d) => (d.status?.availableReplicas ?? 0) >= (d.spec?.replicas ?? 1) && (d.status?.updatedReplicas ?? 0) >= (d.spec?.replicas ?? 1)
      )
    )
  })
  try {
    const timed = await timedRun(
      twin,
      { ...baseInputs(world, cluster, registry.name), mode: 'deploy', manifests: 'k8s/apps.yaml' },
      workspaceWith({ 'k8s/apps.yaml': manifest })
    )
    ready.stop()
    const deployed = JSON.parse(timed.run.main.outputs.deployed || '[]') as unknown[]
    if (timed.run.main.exitCode !== 0 || timed.run.main.outputs.ready !== 'true' || deployed.length !== count) {
      throw new BenchError(
        `deploying ${count} Deployment(s) failed (exit ${timed.run.main.exitCode}, ready=${timed.run.main.outputs.ready}, ${deployed.length} deployed):\n${tail(timed.run.main.log)}`
      )
    }
    const readyAt = ready.first()
    if (readyAt === undefined)
      throw new BenchError(`the action said ready, but the cluster's store never had ${count} available Deployment(s)`)
    return { ...sampleOf(timed), readyAtMs: readyAt - timed.spawnedAt }
  } finally {
    ready.stop()
    cluster.kube.stop()
  }
}

async function deploys(world: World) {
  const one: Sample[] = []
  const fifty: Sample[] = []
  for (let i = 0; i < REPEATS; i++) {
    one.push(await deployOnce(world, 1))
    progress(`deploy 1 Deployment, run ${i + 1}/${REPEATS}: ${seconds(one.at(-1)!.ms)}`)
    fifty.push(await deployOnce(world, 50))
    progress(`deploy 50 Deployments, run ${i + 1}/${REPEATS}: ${seconds(fifty.at(-1)!.ms)}`)
  }
  const a = series('deploy 1 Deployment', one)
  const b = series('deploy 50 Deployments', fifty)
  return { one: a, fifty: b, ratio: b.medianMs / a.medianMs }
}

// ---- 4 and 5. the seed's tool --------------------------------------------------------------------

/** The action's side of a comparison with az: one run, its main step. */
const actionSide =
  (twin: Twin): RunAction =>
  async (inputs) => {
    const t = await timedRun(twin, inputs, tempDir('workspace'))
    return { exitCode: t.run.main.exitCode, log: t.run.main.log, startedAt: t.spawnedAt, exitedAt: t.exitedAt, records: t.records }
  }

async function seedTool(world: World): Promise<VersusAz | undefined> {
  const az = findAz()
  const version = az && azVersion(az)
  if (!az || !version) {
    progress(`az not found: the Azure CLI comparisons (4, 5) are left out (install it: ${INSTALL_HINT})`)
    return undefined
  }
  return versusAz(world, version, actionSide(world.twin), progress)
}

// ---- the report -------------------------------------------------------------------------------

function machine() {
  const list = cpus()
  return {
    cpus: list.length,
    cpuModel: list[0]?.model ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    platform: `${platform()} ${arch()}`,
    node: spawnSync(join(ROOT, 'node_modules', '.bin', 'node'), ['--version'], { encoding: 'utf8', timeout: 30_000 }).stdout.trim(),
    benchNode: process.version,
    kubectl:
      (spawnSync('/usr/bin/kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8', timeout: 30_000 }).stdout.match(
        /"gitVersion":\s*"([^"]+)"/
      ) ?? [])[1] ?? 'unknown'
  }
}

type Imports = Awaited<ReturnType<typeof imports>>
type FailFast = Awaited<ReturnType<typeof failFast>>
type Deploys = Awaited<ReturnType<typeof deploys>>

function table(m: ReturnType<typeof machine>, im: Imports, ff: FailFast, dp: Deploys): string[] {
  const runs = (s: Series) => `[${s.samples.map((x) => (x.ms / 1000).toFixed(2)).join(', ')}]`
  const rows: Array<[string, string, string, string]> = [
    ['1', `import 1 image (median of ${REPEATS})`, seconds(im.one.medianMs), runs(im.one)],
    ['', `import 20 images (median of ${REPEATS})`, seconds(im.twenty.medianMs), runs(im.twenty)],
    ['', 'ratio 20 / 1', im.ratio.toFixed(2), `goal ≤ ${IMPORT_GOAL.toFixed(1)}: ${im.pass ? 'PASS' : 'FAIL'}`],
    ['2', 'fail fast, first ErrImagePull → exit:', '', ''],
    [
      '',
      '  action (mode: deploy)',
      seconds(ff.action.errImagePullToExitMs),
      `run ${seconds(ff.action.totalMs)}, exit ${ff.action.exitCode}`
    ],
    [
      '',
      '  kubectl rollout status --timeout=120s',
      seconds(ff.kubectl.errImagePullToExitMs),
      `exit ${ff.kubectl.exitCode}, progressDeadlineSeconds ${ff.deployment.deadline}`
    ],
    ['3', `deploy 1 Deployment (median of ${REPEATS})`, seconds(dp.one.medianMs), runs(dp.one)],
    ['', `deploy 50 Deployments (median of ${REPEATS})`, seconds(dp.fifty.medianMs), runs(dp.fifty)],
    ['', 'ratio 50 / 1', dp.ratio.toFixed(2), '']
  ]
  const w = [1, Math.max(...rows.map((r) => r[1].length)), Math.max(...rows.map((r) => r[2].length)), 0]
  const lines = [
    `aks-acr-action bench, ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, dist/index.js of ${new Date(statSync(DIST).mtimeMs).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
    `Machine: ${m.cpus} CPU(s) (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.platform}; action on node ${m.node}; kubectl ${m.kubectl}`,
    `Twin: latency ${LATENCY_MS} ms per request in every section; importDurationMs ${IMPORT_DURATION_MS}; times are the main step's wall time`,
    '',
    `${'#'.padEnd(w[0]!)}  ${'measurement'.padEnd(w[1]!)}  ${'result'.padStart(w[2]!)}  runs / goal`,
    `${'─'.repeat(w[0]! + w[1]! + w[2]! + 40)}`
  ]
  for (const [n, what, value, extra] of rows)
    lines.push(`${n.padEnd(w[0]!)}  ${what.padEnd(w[1]!)}  ${value.padStart(w[2]!)}  ${extra}`.trimEnd())
  return lines
}

function whereTimeGoes(im: Imports, ff: FailFast, dp: Deploys, base: Baseline): string[] {
  const block = (title: string, t: Timeline) => [``, `${title}: ${describeTimeline(t)[0]}`, ...describeTimeline(t).slice(1)]
  const all = [...im.one.samples, ...im.twenty.samples, ...dp.one.samples, ...dp.fifty.samples]
  const signIn = all.map((x) => x.timeline.spans.find((sp) => sp.kind === 'sign-in')).filter((sp) => sp !== undefined)
  const ms = (n: number) => `${Math.round(n)} ms`
  const twinShare = (label: string, xs: Sample[]) => {
    const cpu = median(xs.map((x) => x.twinCpuMs))
    const actionCpu = xs.every((x) => x.actionCpuMs !== undefined) ? median(xs.map((x) => x.actionCpuMs!)) : undefined
    const wall = median(xs.map((x) => x.ms + x.postMs))
    const ready = xs.filter((x) => x.readyAtMs !== undefined).map((x) => x.ms - x.readyAtMs!)
    return (
      `  ${label.padEnd(22)} over ${seconds(wall).padStart(6)}: twin CPU ${seconds(cpu)}, action CPU ${actionCpu === undefined ? 'n/a' : seconds(actionCpu)}; twin event-loop delay p99 ${ms(median(xs.map((x) => x.twinLoopDelayP99Ms)))}` +
      (ready.length ? `; all Deployments available → exit ${ms(median(ready))}` : '')
    )
  }
  return [
    `Per-run fixed costs (medians over the ${all.length} measured import and deploy runs)`,
    `  node start alone (node -e 0)                           ${ms(base.nodeStartMs)}`,
    `  post step (node start + bundle load, no request)       ${ms(median(all.map((x) => x.postMs)))}`,
    `  main step: spawn → first request                       ${ms(median(all.map((x) => x.timeline.startupMs)))}`,
    `  sign-in: OIDC token → Entra token (3 requests in a row) ${ms(median(signIn.map((sp) => sp.lastEnd - sp.firstStart)))}`,
    '',
    `CPU (main + post step wall time; the twin runs in this process, on the same ${base.cpus} CPUs as the action)`,
    twinShare('import 1 image', im.one.samples),
    twinShare('import 20 images', im.twenty.samples),
    twinShare('deploy 1 Deployment', dp.one.samples),
    twinShare('deploy 50 Deployments', dp.fifty.samples),
    '',
    'Where the time goes (twin request log of the median run; ms after the step was spawned)',
    ...block('import 1 image', im.one.representative.timeline),
    ...block('import 20 images', im.twenty.representative.timeline),
    ...block(`fail fast (action; first ErrImagePull at +${Math.round(ff.action.spawnToErrImagePullMs)})`, ff.action.timeline),
    ...block(
      `deploy 1 Deployment (all available at +${Math.round(dp.one.representative.readyAtMs ?? NaN)})`,
      dp.one.representative.timeline
    ),
    ...block(
      `deploy 50 Deployments (all available at +${Math.round(dp.fifty.representative.readyAtMs ?? NaN)})`,
      dp.fifty.representative.timeline
    )
  ]
}

interface Baseline {
  nodeStartMs: number
  cpus: number
}

/** What any node24 action pays before its first line runs. */
function baseline(): Baseline {
  const node = join(ROOT, 'node_modules', '.bin', 'node')
  const times = Array.from({ length: 3 }, () => {
    const started = performance.now()
    spawnSync(node, ['-e', '0'], { stdio: 'ignore', timeout: 30_000 })
    return performance.now() - started
  })
  return { nodeStartMs: median(times), cpus: cpus().length }
}

const strip = (s: Series) => ({
  medianMs: s.medianMs,
  runsMs: s.samples.map((x) => x.ms),
  postStepMs: s.samples.map((x) => x.postMs),
  requests: s.samples.map((x) => x.requests),
  twinCpuMs: s.samples.map((x) => Math.round(x.twinCpuMs)),
  twinLoopDelayP99Ms: s.samples.map((x) => Math.round(x.twinLoopDelayP99Ms)),
  actionCpuMs: s.samples.map((x) => x.actionCpuMs),
  ...(s.samples.some((x) => x.readyAtMs !== undefined) ? { allAvailableAtMs: s.samples.map((x) => x.readyAtMs) } : {}),
  timeline: s.representative.timeline,
  /** [ms after spawn, duration ms, method, host, path, status] of every request of the median run */
  requestLog: s.representative.log
})

// ---- main -------------------------------------------------------------------------------------

function ensureBundle(): void {
  const newest = (dir: string): number =>
    Math.max(
      0,
      ...readdirSync(dir, { withFileTypes: true }).map((e) =>
        e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs
      )
    )
  if (existsSync(DIST) && statSync(DIST).mtimeMs >= newest(join(ROOT, 'src'))) return
  progress('dist/index.js is missing or older than src/: npm run build')
  // Its output goes to stderr, with the progress lines: stdout is the table.
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: ['ignore', 2, 2], timeout: 300_000 })
  if (build.status !== 0 || !existsSync(DIST)) throw new BenchError('npm run build failed')
}

async function main(): Promise<void> {
  ensureBundle()
  const m = machine()
  const base = baseline()
  const twin = await startTwin()
  twin.latencyMs = LATENCY_MS
  // The az comparisons fetch GitHub OIDC tokens from the twin in this process.
  const untrust = trustTwinCa(twin.caPem)
  const cleanup = async () => {
    untrust()
    await twin.close()
    removeRunnerTemps()
    removeTemps()
  }
  const onSignal = () => void cleanup().finally(() => process.exit(130))
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  const watchdog = setTimeout(() => {
    process.stderr.write(`bench: still running after ${BENCH_TIMEOUT_MS / 60_000} min, giving up\n`)
    void cleanup().finally(() => process.exit(3))
  }, BENCH_TIMEOUT_MS)
  watchdog.unref()
  try {
    const world = buildWorld(twin)
    progress(`twin at ${twin.url}; ${m.cpus} CPU(s), node ${m.node}`)
    // One unmeasured run first: the disk cache and the twin's first TLS handshakes are not the action's cost.
    twin.state.importDurationMs = IMPORT_DURATION_MS
    await importOnce(world, 1)
    progress('warm-up run done')
    const im = await imports(world)
    const ff = await failFast(world)
    const dp = await deploys(world)
    const vs = await seedTool(world)
    const pc = await privateCluster(world, progress)

    print()
    for (const line of table(m, im, ff, dp)) print(line)
    print()
    if (vs) {
      for (const line of versusLines(vs)) print(line)
      print()
    }
    for (const line of privateClusterLines(pc)) print(line)
    print()
    for (const line of whereTimeGoes(im, ff, dp, base)) print(line)
    const results = {
      date: new Date().toISOString(),
      machine: m,
      baseline: base,
      settings: {
        latencyMs: LATENCY_MS,
        importDurationMs: IMPORT_DURATION_MS,
        repeats: REPEATS,
        kubeKnobs: twin.state.clusters[0]?.kube.knobs
      },
      imports: { one: strip(im.one), twenty: strip(im.twenty), ratio: im.ratio, goal: IMPORT_GOAL, pass: im.pass },
      failFast: ff,
      deploy: { one: strip(dp.one), fifty: strip(dp.fifty), ratio: dp.ratio },
      versusAz: vs ?? null,
      privateCluster: pc
    }
    writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`)
    print()
    print(`Wrote ${RESULTS.slice(ROOT.length + 1)}`)
  } finally {
    clearTimeout(watchdog)
    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    await cleanup()
  }
}

try {
  await main()
} catch (error) {
  process.stderr.write(
    `bench failed: ${error instanceof BenchError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
  )
  process.exitCode = 2
}
