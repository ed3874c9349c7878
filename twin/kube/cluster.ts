/**
 * One AKS cluster's Kubernetes: storage, the write path every change takes
 * (defaults, generation, managed fields), events, garbage collection, three
 * Ready nodes, and the controllers and kubelet that run on real timers. Tests
 * reach it as `cluster.kube`: tokens, deny rules, grants, knobs, and the
 * object API (`get`, `list`, `create`) for seeding and inspection.
 */
import { randomBytes } from 'node:crypto'
import type { Cluster, TwinState } from '../state.ts'
import { Store } from './store.ts'
import type { KObj } from './store.ts'
import { RESOURCES, groupVersion } from './resources.ts'
import type { ResourceDef } from './resources.ts'
import { KIND_SCHEMAS } from './schema.ts'
import { trackUpdate } from './ssa.ts'
import { applyDefaults } from './defaults.ts'
import { canonical, nowIso, randSuffix, uid } from './objects.ts'
import type { DenyRule, KubeRole } from './auth.ts'
import { startControllers } from './controllers/index.ts'

/** Timings of the simulated control plane and nodes, in real milliseconds; tests shrink or stretch them. */
export interface KubeKnobs {
  /** Controller reaction time after a change. */
  controllerDelayMs: number
  /** Pending (unscheduled) before the scheduler binds a pod. */
  scheduleMs: number
  /** How long an image pull takes. */
  pullMs: number
  /** Created -> Started -> Ready. */
  startMs: number
  /** First image pull back-off (the kubelet's is 10 s), doubling up to pullBackoffMaxMs (300 s real). */
  pullBackoffMs: number
  pullBackoffMaxMs: number
  /** First crash-loop back-off (10 s real), doubling up to crashBackoffMaxMs (300 s real). */
  crashBackoffMs: number
  crashBackoffMaxMs: number
  /** How long a failing container runs before it exits. */
  crashRunMs: number
  /** How long a Job's container runs before it exits 0 (`sleep N` in its command overrides). */
  jobRunMs: number
  /** Grace period a deleted pod spends Terminating. */
  terminateMs: number
  /** Delay before a Job replaces a failed pod (the job controller's back-off, 10 s real). */
  jobBackoffMs: number
  /**
   * How long a watch without `timeoutSeconds` stays open before the server ends it and the client
   * must watch again (the real API server's --min-request-timeout, 1800 s, randomised up to twice that).
   */
  watchTimeoutMs: number
}

export const DEFAULT_KNOBS: KubeKnobs = {
  controllerDelayMs: 15,
  scheduleMs: 40,
  pullMs: 250,
  startMs: 150,
  pullBackoffMs: 1000,
  pullBackoffMaxMs: 8000,
  crashBackoffMs: 1000,
  crashBackoffMaxMs: 8000,
  crashRunMs: 300,
  jobRunMs: 600,
  terminateMs: 200,
  jobBackoffMs: 300,
  watchTimeoutMs: 1_800_000
}

export interface Grant {
  principalId: string
  role: KubeRole
  namespace?: string
}

export interface WriteOptions {
  manager?: string
  subresource?: string
  dryRun?: boolean
}

const hex = (n: number) => randomBytes(n).toString('hex')

export function resourceOfKind(kind: string): ResourceDef {
  const r = RESOURCES.find((x) => x.kind === kind)
  if (!r) throw new Error(`twin: kind ${kind} is not served`)
  return r
}

export class KubeCluster {
  readonly store = new Store()
  /** Bearer tokens of the local-account kubeconfigs (clusterUser, clusterAdmin). */
  readonly tokens = { user: hex(32), admin: hex(32) }
  denyRules: DenyRule[] = []
  grants: Grant[] = []
  knobs: KubeKnobs = { ...DEFAULT_KNOBS }
  readonly nodeNames: string[]
  /** Images each node has pulled (IfNotPresent skips the pull then). */
  readonly nodeImages = new Map<string, Set<string>>()
  /** Open watch streams, closed by expireWatches() and stop(). */
  readonly watches = new Set<() => void>()
  readonly cluster: Cluster
  readonly state: TwinState
  private nextServiceIp = 1000 + Math.floor(Math.random() * 10000)
  private timers = new Set<ReturnType<typeof setTimeout>>()
  private stopped = false
  private stopControllers: () => void = () => {}

  constructor(state: TwinState, cluster: Cluster) {
    this.state = state
    this.cluster = cluster
    const vmss = String(10_000_000 + (parseInt(hex(4), 16) % 89_999_999))
    this.nodeNames = [0, 1, 2].map((i) => `aks-nodepool1-${vmss}-vmss00000${i}`)
    this.bootstrap()
    this.stopControllers = startControllers(this)
  }

  // ---- test knobs ----

  /** Answer matching requests with the RBAC 403 (all fields optional; user is the name or Entra oid). */
  deny(rule: DenyRule) {
    this.denyRules.push(rule)
  }
  clearDenies() {
    this.denyRules = []
  }
  /** Kubernetes RBAC for an Entra principal on a cluster without Azure RBAC (cluster-admin, admin, edit, view). */
  grant(principalId: string, role: KubeRole = 'cluster-admin', namespace?: string) {
    this.grants.push({ principalId, role, namespace })
  }
  /** Compacts history and ends open watches: clients re-watch from their last version and get 410 Expired. */
  expireWatches() {
    this.store.compact()
    for (const close of [...this.watches]) close()
  }
  stop() {
    this.stopped = true
    this.stopControllers()
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const close of [...this.watches]) close()
  }

  /** Runs fn after ms unless the cluster stopped; the timer never keeps the process alive. */
  after(ms: number, fn: () => void) {
    if (this.stopped) return
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (!this.stopped) fn()
    }, ms)
    t.unref?.()
    this.timers.add(t)
  }

  get isStopped() {
    return this.stopped
  }

  // ---- object API ----

  res(kind: string) {
    return resourceOfKind(kind)
  }

  get(kind: string, namespace: string | undefined, name: string): KObj | undefined {
    const o = this.store.get(resourceOfKind(kind), namespace, name)
    return o && structuredClone(o)
  }

  list(kind: string, namespace?: string): KObj[] {
    return this.store.list(resourceOfKind(kind), namespace).map((o) => structuredClone(o))
  }

  /** Creates an object the way a POST does (defaults, uid, generation, managed fields). */
  create(input: KObj, opts: WriteOptions = {}): KObj {
    const r = resourceOfKind(input.kind)
    const o = this.prepareCreate(r, structuredClone(input), opts)
    return opts.dryRun ? o : structuredClone(this.store.write(r, o))
  }

  prepareCreate(r: ResourceDef, o: KObj, opts: WriteOptions = {}): KObj {
    o.apiVersion = groupVersion(r)
    o.kind = r.kind
    o.metadata ??= {}
    if (!o.metadata.name && o.metadata.generateName) o.metadata.name = o.metadata.generateName + randSuffix()
    if (r.namespaced) o.metadata.namespace ??= 'default'
    else delete o.metadata.namespace
    o.metadata.uid = uid()
    o.metadata.creationTimestamp = nowIso()
    if (r.generation) o.metadata.generation = 1
    delete o.metadata.resourceVersion
    if (r.kind !== 'Namespace' && r.subresources.includes('status') && r.kind !== 'CustomResourceDefinition') delete o.status
    applyDefaults(r.kind, o)
    if (r.kind === 'Service' && o.spec?.type !== 'ExternalName' && !o.spec?.clusterIP) {
      const ip = `10.0.${Math.floor(this.nextServiceIp / 250)}.${(this.nextServiceIp++ % 250) + 2}`
      o.spec.clusterIP = ip
      o.spec.clusterIPs = [ip]
    }
    if (opts.manager) {
      o.metadata.managedFields = trackUpdate(undefined, o, KIND_SCHEMAS[r.kind], opts.manager, groupVersion(r))
      if (!o.metadata.managedFields.length) delete o.metadata.managedFields
    }
    return o
  }

  /**
   * Stores a new version of an existing object: bumps generation when the
   * spec changed (workloads, CRDs), records managed fields for `manager`.
   */
  commit(r: ResourceDef, next: KObj, prev: KObj, opts: WriteOptions = {}): KObj {
    next.metadata.uid = prev.metadata.uid
    next.metadata.creationTimestamp = prev.metadata.creationTimestamp
    if (r.generation) {
      const changed = canonical(stripForGeneration(next)) !== canonical(stripForGeneration(prev))
      next.metadata.generation = (prev.metadata.generation ?? 1) + (changed ? 1 : 0)
    }
    if (opts.manager) {
      const mf = trackUpdate(prev, next, KIND_SCHEMAS[r.kind], opts.manager, groupVersion(r), opts.subresource)
      if (mf.length) next.metadata.managedFields = mf
      else delete next.metadata.managedFields
    }
    if (opts.dryRun) {
      next.metadata.resourceVersion = prev.metadata.resourceVersion
      return next
    }
    return structuredClone(this.store.write(r, next))
  }

  /** A controller's status write: only `status` changes, no generation bump. */
  writeStatus(kind: string, o: KObj, status: KObj): KObj | undefined {
    const r = resourceOfKind(kind)
    const cur = this.store.get(r, o.metadata.namespace, o.metadata.name)
    if (!cur || cur.metadata.uid !== o.metadata.uid) return undefined
    if (canonical(cur.status) === canonical(status)) return cur
    const next = { ...structuredClone(cur), status: structuredClone(status) }
    return this.store.write(r, next)
  }

  /** A controller's spec/metadata write on the stored object (mutate a copy of it). */
  modify(kind: string, o: KObj, mutate: (x: KObj) => void, manager = 'kube-controller-manager'): KObj | undefined {
    const r = resourceOfKind(kind)
    const cur = this.store.get(r, o.metadata.namespace, o.metadata.name)
    if (!cur || cur.metadata.uid !== o.metadata.uid) return undefined
    const next = structuredClone(cur)
    mutate(next)
    if (canonical(next) === canonical(cur)) return cur
    return this.commit(r, next, cur, { manager })
  }

  /**
   * Deletion. Pods with a grace period turn Terminating first; dependents
   * (ownerReferences) are collected in the background, or orphaned.
   */
  remove(
    kind: string,
    namespace: string | undefined,
    name: string,
    opts: { propagation?: string; gracePeriodSeconds?: number } = {}
  ): KObj | undefined {
    const r = resourceOfKind(kind)
    const cur = this.store.get(r, namespace, name)
    if (!cur) return undefined
    const graceMs = r.kind === 'Pod' && opts.gracePeriodSeconds !== 0 && cur.spec?.nodeName ? this.knobs.terminateMs : 0
    if (graceMs > 0) {
      if (cur.metadata.deletionTimestamp) return structuredClone(cur)
      const next = structuredClone(cur)
      next.metadata.deletionTimestamp = nowIso()
      next.metadata.deletionGracePeriodSeconds = cur.spec?.terminationGracePeriodSeconds ?? 30
      const written = this.store.write(r, next)
      const id = cur.metadata.uid
      this.after(graceMs, () => {
        const still = this.store.get(r, namespace, name)
        if (still && still.metadata.uid === id) this.store.remove(r, namespace, name)
      })
      return structuredClone(written)
    }
    const gone = this.store.remove(r, namespace, name)
    if (gone) this.collect(gone, opts.propagation ?? 'Background')
    return gone
  }

  private collect(owner: KObj, propagation: string) {
    const id = owner.metadata.uid
    const dependents: Array<{ r: ResourceDef; o: KObj }> = []
    for (const r of RESOURCES) {
      for (const o of this.store.list(r, owner.metadata.namespace)) {
        if ((o.metadata.ownerReferences ?? []).some((ref: KObj) => ref.uid === id)) dependents.push({ r, o })
      }
    }
    for (const { r, o } of dependents) {
      if (propagation === 'Orphan') {
        const next = structuredClone(o)
        next.metadata.ownerReferences = o.metadata.ownerReferences.filter((ref: KObj) => ref.uid !== id)
        if (!next.metadata.ownerReferences.length) delete next.metadata.ownerReferences
        this.store.write(r, next)
      } else {
        this.after(this.knobs.controllerDelayMs, () => this.remove(r.kind, o.metadata.namespace, o.metadata.name, { propagation }))
      }
    }
  }

  /**
   * Records an event as the real recorder does: the same reason and message
   * for the same object within the series bumps `count` and `lastTimestamp`.
   */
  event(
    involved: KObj,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    source: { component: string; host?: string },
    fieldPath?: string
  ) {
    const r = resourceOfKind('Event')
    const ns = involved.metadata.namespace ?? 'default'
    const existing = this.store
      .list(r, ns)
      .find(
        (e) =>
          e.involvedObject?.uid === involved.metadata.uid &&
          e.reason === reason &&
          e.message === message &&
          e.source?.component === source.component &&
          (e.involvedObject?.fieldPath ?? '') === (fieldPath ?? '')
      )
    const now = nowIso()
    if (existing) {
      const next = structuredClone(existing)
      next.count = (existing.count ?? 1) + 1
      next.lastTimestamp = now
      this.store.write(r, next)
      return
    }
    const ev: KObj = {
      apiVersion: 'v1',
      kind: 'Event',
      // The recorder's `<name>.<UnixNano in hex>`: names sort in time order, which `describe` relies on for ties.
      metadata: { name: `${involved.metadata.name}.${this.eventNanos().toString(16)}`, namespace: ns, uid: uid(), creationTimestamp: now },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
        ...(fieldPath ? { fieldPath } : {})
      },
      reason,
      message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: source.component,
      reportingInstance: source.host ?? ''
    }
    this.store.write(r, ev)
  }

  private lastNanos = 0n
  private eventNanos(): bigint {
    const n = BigInt(Date.now()) * 1_000_000n
    this.lastNanos = n > this.lastNanos ? n : this.lastNanos + 1n
    return this.lastNanos
  }

  /** Events about an object, oldest first (what `kubectl describe` shows). */
  eventsFor(kind: string, namespace: string, name: string): KObj[] {
    return this.list('Event', namespace)
      .filter((e) => e.involvedObject?.kind === kind && e.involvedObject?.name === name)
      .sort((a, b) => (a.firstTimestamp < b.firstTimestamp ? -1 : a.firstTimestamp > b.firstTimestamp ? 1 : 0))
  }

  private bootstrap() {
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      this.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })
    }
    const v = `v${this.cluster.kubernetesVersion}`
    this.nodeNames.forEach((name, i) => {
      const zone = `${this.cluster.location}-${i + 1}`
      const node = this.create({
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            agentpool: 'nodepool1',
            'beta.kubernetes.io/arch': 'amd64',
            'beta.kubernetes.io/os': 'linux',
            'kubernetes.azure.com/agentpool': 'nodepool1',
            'kubernetes.azure.com/cluster': this.cluster.nodeResourceGroup,
            'kubernetes.azure.com/mode': 'system',
            'kubernetes.azure.com/role': 'agent',
            'kubernetes.io/arch': 'amd64',
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/role': 'agent',
            'node.kubernetes.io/instance-type': 'Standard_DS2_v2',
            'topology.kubernetes.io/region': this.cluster.location,
            'topology.kubernetes.io/zone': zone
          }
        },
        spec: {
          podCIDR: `10.244.${i}.0/24`,
          podCIDRs: [`10.244.${i}.0/24`],
          providerID: `azure:///subscriptions/${this.cluster.subscriptionId}/resourceGroups/${this.cluster.nodeResourceGroup.toLowerCase()}/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-vmss/virtualMachines/${i}`
        }
      })
      const now = nowIso()
      this.writeStatus('Node', node, {
        capacity: { cpu: '2', 'ephemeral-storage': '129886128Ki', memory: '7097684Ki', pods: '110' },
        allocatable: { cpu: '1900m', 'ephemeral-storage': '119703055367', memory: '5160276Ki', pods: '110' },
        conditions: [
          {
            type: 'MemoryPressure',
            status: 'False',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
            reason: 'KubeletHasSufficientMemory',
            message: 'kubelet has sufficient memory available'
          },
          {
            type: 'DiskPressure',
            status: 'False',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
            reason: 'KubeletHasNoDiskPressure',
            message: 'kubelet has no disk pressure'
          },
          {
            type: 'PIDPressure',
            status: 'False',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
            reason: 'KubeletHasSufficientPID',
            message: 'kubelet has sufficient PID available'
          },
          {
            type: 'Ready',
            status: 'True',
            lastHeartbeatTime: now,
            lastTransitionTime: now,
            reason: 'KubeletReady',
            message: 'kubelet is posting ready status'
          }
        ],
        addresses: [
          { type: 'InternalIP', address: `10.224.0.${4 + i}` },
          { type: 'Hostname', address: name }
        ],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        nodeInfo: {
          machineID: hex(16),
          systemUUID: uid(),
          bootID: uid(),
          kernelVersion: '5.15.0-1089-azure',
          osImage: 'Ubuntu 22.04.5 LTS',
          containerRuntimeVersion: 'containerd://1.7.27-1',
          kubeletVersion: v,
          kubeProxyVersion: v,
          operatingSystem: 'linux',
          architecture: 'amd64'
        }
      })
      this.nodeImages.set(name, new Set())
    })
    this.create({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
      spec: { ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }], clusterIP: '10.0.0.1', clusterIPs: ['10.0.0.1'] }
    })
  }
}

/** What generation ignores: metadata and status (the spec and other top-level content count). */
function stripForGeneration(o: KObj) {
  const { metadata: _m, status: _s, ...rest } = o
  return rest
}
