/**
 * The scheduler and the kubelet: binds pods to the three nodes, then plays a
 * node's pod lifecycle on real timers: ContainerCreating, image pulls through
 * the twin's registries with the cluster's kubelet identity (ErrImagePull ->
 * ImagePullBackOff with doubling back-off, retried so a later role
 * assignment or import lets a stuck pod start), Created/Started, Ready, and
 * exits (CrashLoopBackOff, Completed, Error) decided from the container's
 * command. Event reasons and texts are the kubelet's (pkg/kubelet/images,
 * kuberuntime); waiting messages follow 1.32, where the back-off message
 * carries the last pull error.
 */
import { randomBytes } from 'node:crypto'
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { nowIso } from '../objects.ts'
import { parseImage, pullImage } from '../images.ts'
import type { ImageRef } from '../images.ts'
import { programFor } from '../programs/index.ts'
import { appendOutput, endOutput } from '../container-output.ts'
import { pullCredentialsFor } from '../pull-secrets.ts'

interface CState {
  state: KObj
  lastState: KObj
  ready: boolean
  started: boolean
  restartCount: number
  imageID: string
  image: string
  containerID?: string
}

interface Runtime {
  uid: string
  ns: string
  name: string
  containers: Map<string, CState>
  podIP: string
  startTime: string
}

const sleep = (k: KubeCluster, ms: number) => new Promise<void>((r) => k.after(Math.max(0, ms), r))
const hex = (n: number) => randomBytes(n).toString('hex')

type Behaviour = { kind: 'forever' } | { kind: 'exit'; code: number; afterMs: number; output?: () => { output: string; exitCode: number } }

/** What the container's process does, read from its command: the twin runs no code. */
export function behaviourOf(c: KObj, restartPolicy: string, k: KubeCluster): Behaviour {
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map(String)
  const text = argv.join(' ')
  const sleepS = /\bsleep\s+(\d+(?:\.\d+)?)\b/.exec(text)
  const exitCode = /\bexit\s+(\d+)/.exec(text)
  const bin = (argv[0] ?? '').split('/').at(-1)
  if ((exitCode && Number(exitCode[1]) !== 0) || bin === 'false') {
    return { kind: 'exit', code: exitCode ? Number(exitCode[1]) : 1, afterMs: sleepS ? Number(sleepS[1]) * 1000 : k.knobs.crashRunMs }
  }
  if (restartPolicy !== 'Always') return { kind: 'exit', code: 0, afterMs: sleepS ? Number(sleepS[1]) * 1000 : k.knobs.jobRunMs }
  if (bin === 'true' || (exitCode && !/\b(sleep\s+inf|while|tail\s+-f)/.test(text))) {
    return { kind: 'exit', code: 0, afterMs: sleepS ? Number(sleepS[1]) * 1000 : k.knobs.crashRunMs }
  }
  return { kind: 'forever' }
}

export class Kubelet {
  private running = new Map<string, Runtime>()
  private k: KubeCluster
  private nextIp = 10

  constructor(k: KubeCluster) {
    this.k = k
  }

  /** Called on every pod change: schedule unbound pods, start the node's loop for bound ones. */
  onPod(pod: KObj, deleted: boolean) {
    const id = pod.metadata.uid
    if (deleted || pod.metadata.deletionTimestamp) {
      this.running.delete(id)
      // Its processes are gone: whoever follows their output (attach, logs -f) gets the end.
      for (const c of pod.spec?.containers ?? []) endOutput(this.k, id, c.name)
      return
    }
    if (!pod.spec?.nodeName) {
      this.k.after(this.k.knobs.scheduleMs, () => this.schedule(pod))
      return
    }
    if (!this.running.has(id) && !pod.status?.phase?.match(/^(Succeeded|Failed)$/)) void this.run(pod)
  }

  private alive(rt: Runtime): boolean {
    const p = this.k.store.get(this.k.res('Pod'), rt.ns, rt.name)
    return !!p && p.metadata.uid === rt.uid && !p.metadata.deletionTimestamp && this.running.get(rt.uid) === rt && !this.k.isStopped
  }

  private schedule(pod: KObj) {
    const k = this.k
    const cur = k.store.get(k.res('Pod'), pod.metadata.namespace, pod.metadata.name)
    if (!cur || cur.metadata.uid !== pod.metadata.uid || cur.spec?.nodeName || cur.metadata.deletionTimestamp) return
    const nodes = k.list('Node')
    const fits = nodes.filter((n) => {
      const sel = cur.spec?.nodeSelector ?? {}
      if (!Object.entries(sel).every(([key, v]) => n.metadata.labels?.[key] === v)) return false
      const terms = cur.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms as
        KObj[] | undefined
      if (!terms?.length) return true
      return terms.some(
        (t) =>
          (t.matchFields ?? []).every((f: KObj) => f.key !== 'metadata.name' || (f.values ?? []).includes(n.metadata.name)) &&
          (t.matchExpressions ?? []).every((e: KObj) => e.operator !== 'In' || (e.values ?? []).includes(n.metadata.labels?.[e.key]))
      )
    })
    if (!fits.length) {
      const msg = `0/${nodes.length} nodes are available: ${nodes.length} node(s) didn't match Pod's node affinity/selector. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`
      k.writeStatus('Pod', cur, {
        ...(cur.status ?? {}),
        phase: 'Pending',
        conditions: [
          {
            type: 'PodScheduled',
            status: 'False',
            lastProbeTime: null,
            lastTransitionTime: nowIso(),
            reason: 'Unschedulable',
            message: msg
          }
        ],
        qosClass: qos(cur)
      })
      k.event(cur, 'Warning', 'FailedScheduling', msg, { component: 'default-scheduler' })
      return
    }
    const load = (n: KObj) =>
      k.store.list(k.res('Pod')).filter((p) => p.spec?.nodeName === n.metadata.name && !p.metadata.deletionTimestamp).length
    const node = fits.sort((a, b) => load(a) - load(b))[0].metadata.name
    const bound = k.modify(
      'Pod',
      cur,
      (p) => {
        p.spec.nodeName = node
      },
      'kube-scheduler'
    )
    if (!bound) return
    k.event(bound, 'Normal', 'Scheduled', `Successfully assigned ${cur.metadata.namespace}/${cur.metadata.name} to ${node}`, {
      component: 'default-scheduler'
    })
  }

  private async run(pod: KObj) {
    const k = this.k
    const ip = `10.244.${k.nodeNames.indexOf(pod.spec.nodeName) + 0}.${(this.nextIp++ % 250) + 2}`
    const rt: Runtime = {
      uid: pod.metadata.uid,
      ns: pod.metadata.namespace,
      name: pod.metadata.name,
      containers: new Map(),
      podIP: ip,
      startTime: nowIso()
    }
    for (const c of pod.spec.containers ?? []) {
      rt.containers.set(c.name, {
        state: { waiting: { reason: 'ContainerCreating' } },
        lastState: {},
        ready: false,
        started: false,
        restartCount: 0,
        imageID: '',
        image: c.image
      })
    }
    this.running.set(rt.uid, rt)
    this.publish(rt)
    await sleep(k, 30)
    await Promise.all((pod.spec.containers ?? []).map((c: KObj, i: number) => this.runContainer(rt, c, i)))
  }

  private current(rt: Runtime): KObj | undefined {
    const p = this.k.store.get(this.k.res('Pod'), rt.ns, rt.name)
    return p && p.metadata.uid === rt.uid ? p : undefined
  }

  private ev(rt: Runtime, c: string | undefined, type: 'Normal' | 'Warning', reason: string, message: string) {
    const p = this.current(rt)
    if (!p) return
    this.k.event(p, type, reason, message, { component: 'kubelet', host: p.spec.nodeName }, c ? `spec.containers{${c}}` : undefined)
  }

  private set(rt: Runtime, name: string, patch: Partial<CState>) {
    const cs = rt.containers.get(name)!
    Object.assign(cs, patch)
    this.publish(rt)
  }

  /** Pulls until it works (or the pod goes), as the kubelet's sync loop with back-off does. */
  private async ensureImage(rt: Runtime, c: KObj, ref: ImageRef): Promise<boolean> {
    const k = this.k
    const node = this.current(rt)?.spec.nodeName
    const cache = k.nodeImages.get(node) ?? new Set<string>()
    const policy = c.imagePullPolicy ?? 'IfNotPresent'
    if (policy !== 'Always' && cache.has(ref.normalized)) {
      this.ev(rt, c.name, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`)
      return true
    }
    if (policy === 'Never') {
      const msg = `Container image "${c.image}" is not present with pull policy of Never`
      this.set(rt, c.name, { state: { waiting: { reason: 'ErrImageNeverPull', message: msg } } })
      this.ev(rt, c.name, 'Warning', 'ErrImageNeverPull', msg)
      return false
    }
    let delay = 0
    let lastError = ''
    while (this.alive(rt)) {
      this.ev(rt, c.name, 'Normal', 'Pulling', `Pulling image "${c.image}"`)
      const started = Date.now()
      await sleep(k, k.knobs.pullMs)
      if (!this.alive(rt)) return false
      // The pod's pull secrets are read again on every attempt, so one created later is used.
      const pull = pullCredentialsFor(k, this.current(rt) ?? { metadata: {}, spec: {} }, ref)
      if (pull.missing.length > 0) {
        this.ev(
          rt,
          undefined,
          'Warning',
          'FailedToRetrieveImagePullSecret',
          `Unable to retrieve some image pull secrets (${pull.missing.join(', ')}); attempting to pull the image may not succeed.`
        )
      }
      const out = pullImage(k.state, k.cluster, ref, pull.credentials)
      if (out.ok) {
        cache.add(ref.normalized)
        const s = ((Date.now() - started) / 1000).toFixed(3).replace(/\.?0+$/, '') + 's'
        this.ev(
          rt,
          c.name,
          'Normal',
          'Pulled',
          `Successfully pulled image "${c.image}" in ${s} (${s} including waiting). Image size: ${out.size} bytes.`
        )
        this.set(rt, c.name, { imageID: `${ref.host}/${ref.repository}@${out.digest}`, image: ref.normalized })
        return true
      }
      lastError = out.message
      this.ev(rt, c.name, 'Warning', 'Failed', `Failed to pull image "${c.image}": ${lastError}`)
      this.ev(rt, c.name, 'Warning', 'Failed', 'Error: ErrImagePull')
      this.set(rt, c.name, { state: { waiting: { reason: 'ErrImagePull', message: lastError } } })
      delay = delay ? Math.min(delay * 2, k.knobs.pullBackoffMaxMs) : k.knobs.pullBackoffMs
      const until = Date.now() + delay
      // The next pod sync finds the image in back-off: ImagePullBackOff until the back-off expires.
      await sleep(k, Math.min(300, delay / 3))
      while (this.alive(rt) && Date.now() < until) {
        this.set(rt, c.name, {
          state: { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}": ErrImagePull: ${lastError}` } }
        })
        this.ev(rt, c.name, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`)
        this.ev(rt, c.name, 'Warning', 'Failed', 'Error: ImagePullBackOff')
        await sleep(k, Math.min(until - Date.now(), 2000))
      }
    }
    return false
  }

  private async runContainer(rt: Runtime, c: KObj, index: number) {
    const k = this.k
    await sleep(k, index * 20)
    if (!this.alive(rt)) return
    const ref = parseImage(c.image ?? '')
    if ('error' in ref) {
      this.set(rt, c.name, { state: { waiting: { reason: 'InvalidImageName', message: ref.error } } })
      this.ev(rt, c.name, 'Warning', 'InspectFailed', ref.error)
      this.ev(rt, c.name, 'Warning', 'Failed', 'Error: InvalidImageName')
      return
    }
    const pod = this.current(rt)
    if (!pod) return
    const restartPolicy = pod.spec.restartPolicy ?? 'Always'
    let backoff = 0
    for (;;) {
      if (!(await this.ensureImage(rt, c, ref))) return
      if (!this.alive(rt)) return
      const cs = rt.containers.get(c.name)!
      const containerID = `containerd://${hex(32)}`
      this.ev(rt, c.name, 'Normal', 'Created', `Created container: ${c.name}`)
      await sleep(k, k.knobs.startMs / 2)
      if (!this.alive(rt)) return
      this.ev(rt, c.name, 'Normal', 'Started', `Started container ${c.name}`)
      const startedAt = nowIso()
      this.set(rt, c.name, {
        state: { running: { startedAt } },
        started: true,
        containerID,
        imageID: cs.imageID || `${ref.host}/${ref.repository}@sha256:${hex(32)}`,
        image: ref.normalized
      })
      const delay = (c.readinessProbe?.initialDelaySeconds ?? 0) * 1000 + k.knobs.startMs / 2
      await sleep(k, delay)
      if (!this.alive(rt)) return
      this.set(rt, c.name, { ready: true })
      const program = programFor(ref)
      const b: Behaviour = program
        ? { kind: 'exit', code: 0, afterMs: program.runMs, output: () => program.run(k, c) }
        : behaviourOf(c, restartPolicy, k)
      if (b.kind === 'forever') return
      await sleep(k, Math.max(0, b.afterMs - delay))
      if (!this.alive(rt)) return
      // A program decides its verdict when it ends, so a role assignment made meanwhile counts.
      const ran = b.output?.()
      if (ran) appendOutput(k, rt.uid, c.name, ran.output)
      const exitCode = ran ? ran.exitCode : b.code
      const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', startedAt, finishedAt: nowIso(), containerID }
      this.set(rt, c.name, { state: { terminated }, ready: false })
      endOutput(k, rt.uid, c.name)
      if (restartPolicy === 'Never' || (restartPolicy === 'OnFailure' && exitCode === 0)) return
      // Restart with back-off: CrashLoopBackOff in the status, BackOff events, then start again.
      backoff = backoff ? Math.min(backoff * 2, k.knobs.crashBackoffMaxMs) : k.knobs.crashBackoffMs
      await sleep(k, Math.min(200, backoff / 4))
      if (!this.alive(rt)) return
      const realSeconds = Math.min(10 * 2 ** Math.round(Math.log2(backoff / k.knobs.crashBackoffMs)), 300)
      const podName = `${rt.name}_${rt.ns}(${rt.uid})`
      this.set(rt, c.name, {
        restartCount: cs.restartCount + 1,
        lastState: { terminated },
        state: {
          waiting: {
            reason: 'CrashLoopBackOff',
            message: `back-off ${realSeconds >= 60 ? `${Math.floor(realSeconds / 60)}m${realSeconds % 60}s` : `${realSeconds}s`} restarting failed container=${c.name} pod=${podName}`
          }
        }
      })
      this.ev(rt, c.name, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${podName}`)
      await sleep(k, backoff)
      if (!this.alive(rt)) return
    }
  }

  /** Writes the pod status the kubelet would report for the runtime state. */
  private publish(rt: Runtime) {
    const k = this.k
    const pod = this.current(rt)
    if (!pod || pod.metadata.deletionTimestamp) return
    const specs: KObj[] = pod.spec.containers ?? []
    const statuses = specs.map((c) => {
      const s = rt.containers.get(c.name)!
      return {
        name: c.name,
        state: s.state,
        lastState: s.lastState,
        ready: s.ready,
        restartCount: s.restartCount,
        image: s.image,
        imageID: s.imageID,
        ...(s.containerID ? { containerID: s.containerID } : {}),
        started: s.started && !!s.state.running
      }
    })
    const all = [...rt.containers.values()]
    const restartPolicy = pod.spec.restartPolicy ?? 'Always'
    const terminated = all.every((s) => s.state.terminated)
    let phase = 'Pending'
    if (terminated && restartPolicy !== 'Always') phase = all.every((s) => s.state.terminated.exitCode === 0) ? 'Succeeded' : 'Failed'
    else if (all.every((s) => s.started || s.restartCount > 0)) phase = 'Running'
    const unready = specs.filter((c) => !rt.containers.get(c.name)!.ready).map((c) => c.name)
    const now = nowIso()
    const prev: KObj[] = pod.status?.conditions ?? []
    const cond = (type: string, ok: boolean, reason?: string, message?: string) => {
      const p = prev.find((x) => x.type === type)
      const status = ok ? 'True' : 'False'
      return {
        type,
        status,
        lastProbeTime: null,
        lastTransitionTime: p && p.status === status ? p.lastTransitionTime : now,
        ...(reason ? { reason } : {}),
        ...(message ? { message } : {})
      }
    }
    const done = phase === 'Succeeded' || phase === 'Failed'
    const readyReason = done ? 'PodCompleted' : 'ContainersNotReady'
    const conditions = [
      cond('PodReadyToStartContainers', !done),
      cond('Initialized', true, done ? 'PodCompleted' : undefined),
      cond(
        'Ready',
        !unready.length,
        unready.length ? readyReason : undefined,
        unready.length && !done ? `containers with unready status: [${unready.join(' ')}]` : undefined
      ),
      cond(
        'ContainersReady',
        !unready.length,
        unready.length ? readyReason : undefined,
        unready.length && !done ? `containers with unready status: [${unready.join(' ')}]` : undefined
      ),
      cond('PodScheduled', true)
    ]
    const hostIP = `10.224.0.${4 + k.nodeNames.indexOf(pod.spec.nodeName)}`
    const status = {
      phase,
      conditions,
      hostIP,
      hostIPs: [{ ip: hostIP }],
      podIP: rt.podIP,
      podIPs: [{ ip: rt.podIP }],
      startTime: rt.startTime,
      containerStatuses: statuses,
      qosClass: qos(pod)
    }
    k.writeStatus('Pod', pod, status)
    if (done) this.running.delete(rt.uid)
  }
}

function qos(pod: KObj): string {
  const cs: KObj[] = pod.spec?.containers ?? []
  const any = cs.some((c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length)
  if (!any) return 'BestEffort'
  const guaranteed = cs.every((c) =>
    ['cpu', 'memory'].every(
      (r) => c.resources?.limits?.[r] && (c.resources?.requests?.[r] ?? c.resources.limits[r]) === c.resources.limits[r]
    )
  )
  return guaranteed ? 'Guaranteed' : 'Burstable'
}
