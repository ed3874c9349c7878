/**
 * Server-side printing: `kubectl get` asks for
 * `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the cells it is
 * given, so these columns are what a user (and the action's log) sees. Column
 * names, types and priorities are the real printers' (pkg/printers/internalversion).
 */
import type { KObj } from './store.ts'

export interface Column {
  name: string
  type: string
  format: string
  description: string
  priority: number
}

const col = (name: string, type = 'string', priority = 0, format = '', description = ''): Column => ({
  name,
  type,
  format,
  description,
  priority
})
const NAME = col(
  'Name',
  'string',
  0,
  'name',
  'Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names'
)
const AGE = col(
  'Age',
  'string',
  0,
  '',
  'CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata'
)

/** apimachinery's duration.HumanDuration: "5s", "2m3s", "10m", "3h4m", "5d". */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000)
  if (s < -1) return '<invalid>'
  if (s < 0) return '0s'
  if (s < 120) return `${s}s`
  const m = Math.floor(s / 60)
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`
  if (m < 180) return `${m}m`
  const h = Math.floor(m / 60)
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`
  if (h < 48) return `${h}h`
  const d = Math.floor(h / 24)
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`
  if (d < 730) return `${d}d`
  const y = Math.floor(d / 365)
  if (d < 2920) return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`
  return `${y}y`
}

const age = (o: KObj) =>
  o.metadata?.creationTimestamp ? humanDuration(Date.now() - Date.parse(o.metadata.creationTimestamp)) : '<unknown>'
const sinceTs = (ts?: string) => (ts ? humanDuration(Date.now() - Date.parse(ts)) : '<unknown>')
const none = (v: unknown) => (v === undefined || v === null || v === '' ? '<none>' : String(v))

function selectorString(sel: KObj | undefined): string {
  if (!sel) return '<none>'
  const parts = Object.entries(sel.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`)
  for (const e of sel.matchExpressions ?? []) parts.push(`${e.key} ${e.operator.toLowerCase()} (${(e.values ?? []).join(',')})`)
  return parts.length ? parts.join(',') : '<none>'
}

/** findNodeRoles: `node-role.kubernetes.io/<role>` labels and the `kubernetes.io/role` label. */
function nodeRoles(n: KObj): string {
  const roles = new Set<string>()
  for (const [k, v] of Object.entries((n.metadata?.labels ?? {}) as Record<string, string>)) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.add(k.slice(24) || v)
    if (k === 'kubernetes.io/role' && v) roles.add(v)
  }
  return roles.size ? [...roles].sort().join(',') : '<none>'
}

const containersOf = (o: KObj) => (o.spec?.template?.spec?.containers ?? []) as Array<{ name: string; image: string }>

/** The pod STATUS column's logic (printPod): waiting/terminated reasons win over the phase. */
export function podStatusReason(p: KObj): string {
  let reason: string = p.status?.reason ?? p.status?.phase ?? 'Pending'
  const init = (p.status?.initContainerStatuses ?? []) as KObj[]
  init.forEach((c, i) => {
    if (c.state?.terminated?.exitCode === 0) return
    if (c.state?.terminated) reason = `Init:${c.state.terminated.reason || `ExitCode:${c.state.terminated.exitCode}`}`
    else if (c.state?.waiting?.reason && c.state.waiting.reason !== 'PodInitializing') reason = `Init:${c.state.waiting.reason}`
    else reason = `Init:${i}/${init.length}`
  })
  let hasRunning = false
  const cs = ([...(p.status?.containerStatuses ?? [])] as KObj[]).reverse()
  for (const c of cs) {
    if (c.state?.waiting?.reason) reason = c.state.waiting.reason
    else if (c.state?.terminated?.reason) reason = c.state.terminated.reason
    else if (c.state?.terminated)
      reason = c.state.terminated.signal ? `Signal:${c.state.terminated.signal}` : `ExitCode:${c.state.terminated.exitCode}`
    else if (c.ready && c.state?.running) hasRunning = true
  }
  if (reason === 'Completed' && hasRunning) reason = 'Running'
  if (p.metadata?.deletionTimestamp) reason = 'Terminating'
  return reason
}

function podRow(p: KObj): unknown[] {
  const cs = (p.status?.containerStatuses ?? []) as KObj[]
  const total = (p.spec?.containers ?? []).length
  const ready = cs.filter((c) => c.ready).length
  const restarts = cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)
  const last = cs
    .map((c) => c.lastState?.terminated?.finishedAt)
    .filter(Boolean)
    .sort()
    .at(-1)
  const restartsCell = restarts && last ? `${restarts} (${sinceTs(last)} ago)` : String(restarts)
  const gates = (p.spec?.readinessGates ?? []).length
  return [
    p.metadata.name,
    `${ready}/${total}`,
    podStatusReason(p),
    restartsCell,
    age(p),
    none(p.status?.podIP),
    none(p.spec?.nodeName),
    none(p.status?.nominatedNodeName),
    gates ? `${gates}` : '<none>'
  ]
}

interface Printer {
  columns: Column[]
  row: (o: KObj) => unknown[]
}

const PRINTERS: Record<string, Printer> = {
  Pod: {
    columns: [
      NAME,
      col('Ready', 'string', 0, '', 'The aggregate readiness state of this pod for accepting traffic.'),
      col('Status', 'string', 0, '', 'The aggregate status of the containers in this pod.'),
      col(
        'Restarts',
        'string',
        0,
        '',
        'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'
      ),
      AGE,
      col('IP', 'string', 1, '', 'IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.'),
      col(
        'Node',
        'string',
        1,
        '',
        'NodeName is a request to schedule this pod onto a specific node. If it is non-empty, the scheduler simply schedules this pod onto that node, assuming that it fits resource requirements.'
      ),
      col(
        'Nominated Node',
        'string',
        1,
        '',
        'nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods. This field does not guarantee that the pod will be scheduled on this node. Scheduler may decide to place the pod elsewhere if other nodes become available sooner. Scheduler may also decide to give the resources on this node to a higher priority pod that is created after preemption. As a result, this field may be different than PodSpec.nodeName when the pod is scheduled.'
      ),
      col(
        'Readiness Gates',
        'string',
        1,
        '',
        'If specified, all readiness gates will be evaluated for pod readiness. A pod is ready when all its containers are ready AND all conditions specified in the readiness gates have status equal to "True" More info: https://git.k8s.io/enhancements/keps/sig-network/580-pod-readiness-gates'
      )
    ],
    row: podRow
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready', 'string', 0, '', 'Number of the pod with ready state'),
      col(
        'Up-to-date',
        'string',
        0,
        '',
        'Total number of non-terminated pods targeted by this deployment that have the desired template spec.'
      ),
      col('Available', 'string', 0, '', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.'),
      AGE,
      col('Containers', 'string', 1, '', 'Names of each container in the template.'),
      col('Images', 'string', 1, '', 'Images referenced by each container in the template.'),
      col(
        'Selector',
        'string',
        1,
        '',
        'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.'
      )
    ],
    row: (d) => [
      d.metadata.name,
      `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
      d.status?.updatedReplicas ?? 0,
      d.status?.availableReplicas ?? 0,
      age(d),
      containersOf(d)
        .map((c) => c.name)
        .join(','),
      containersOf(d)
        .map((c) => c.image)
        .join(','),
      selectorString(d.spec?.selector)
    ]
  },
  ReplicaSet: {
    columns: [
      NAME,
      col('Desired', 'integer', 0, '', 'Number of desired pods.'),
      col('Current', 'integer', 0, '', 'Number of actual replicas.'),
      col('Ready', 'integer', 0, '', 'Number of ready replicas.'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1)
    ],
    row: (r) => [
      r.metadata.name,
      r.spec?.replicas ?? 0,
      r.status?.replicas ?? 0,
      r.status?.readyReplicas ?? 0,
      age(r),
      containersOf(r)
        .map((c) => c.name)
        .join(','),
      containersOf(r)
        .map((c) => c.image)
        .join(','),
      selectorString(r.spec?.selector)
    ]
  },
  StatefulSet: {
    columns: [
      NAME,
      col('Ready', 'string', 0, '', 'Number of the pod with ready state'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1)
    ],
    row: (s) => [
      s.metadata.name,
      `${s.status?.readyReplicas ?? 0}/${s.spec?.replicas ?? 0}`,
      age(s),
      containersOf(s)
        .map((c) => c.name)
        .join(','),
      containersOf(s)
        .map((c) => c.image)
        .join(',')
    ]
  },
  DaemonSet: {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector', 'string'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1)
    ],
    row: (d) => [
      d.metadata.name,
      d.status?.desiredNumberScheduled ?? 0,
      d.status?.currentNumberScheduled ?? 0,
      d.status?.numberReady ?? 0,
      d.status?.updatedNumberScheduled ?? 0,
      d.status?.numberAvailable ?? 0,
      Object.entries(d.spec?.template?.spec?.nodeSelector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>',
      age(d),
      containersOf(d)
        .map((c) => c.name)
        .join(','),
      containersOf(d)
        .map((c) => c.image)
        .join(','),
      selectorString(d.spec?.selector)
    ]
  },
  Job: {
    columns: [
      NAME,
      col('Status', 'string', 0, '', 'Status of the job.'),
      col('Completions', 'string', 0, '', 'The completion status of the job.'),
      col('Duration', 'string', 0, '', 'Time required to complete the job.'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1)
    ],
    row: (j) => {
      const conds = (j.status?.conditions ?? []) as KObj[]
      const has = (t: string) => conds.some((c) => c.type === t && c.status === 'True')
      const status = has('Failed')
        ? 'Failed'
        : has('Complete')
          ? 'Complete'
          : has('Suspended')
            ? 'Suspended'
            : has('FailureTarget')
              ? 'FailureTarget'
              : has('SuccessCriteriaMet')
                ? 'SuccessCriteriaMet'
                : 'Running'
      const start = j.status?.startTime ? Date.parse(j.status.startTime) : undefined
      const end = j.status?.completionTime ? Date.parse(j.status.completionTime) : Date.now()
      return [
        j.metadata.name,
        status,
        `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`,
        start ? humanDuration(end - start) : '',
        age(j),
        containersOf(j)
          .map((c) => c.name)
          .join(','),
        containersOf(j)
          .map((c) => c.image)
          .join(','),
        selectorString(j.spec?.selector)
      ]
    }
  },
  Service: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    row: (s) => [
      s.metadata.name,
      s.spec?.type ?? 'ClusterIP',
      none(s.spec?.clusterIP),
      s.spec?.type === 'LoadBalancer' ? (s.status?.loadBalancer?.ingress?.[0]?.ip ?? '<pending>') : '<none>',
      (s.spec?.ports ?? []).map((p: KObj) => `${p.port}${p.nodePort ? ':' + p.nodePort : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>',
      age(s),
      Object.entries(s.spec?.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',') || '<none>'
    ]
  },
  Node: {
    columns: [
      NAME,
      col('Status'),
      col('Roles'),
      AGE,
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1),
      col('Container-Runtime', 'string', 1)
    ],
    row: (n) => [
      n.metadata.name,
      (n.status?.conditions ?? []).some((c: KObj) => c.type === 'Ready' && c.status === 'True') ? 'Ready' : 'NotReady',
      nodeRoles(n),
      age(n),
      n.status?.nodeInfo?.kubeletVersion ?? '',
      n.status?.addresses?.[0]?.address ?? '<none>',
      '<none>',
      n.status?.nodeInfo?.osImage ?? '',
      n.status?.nodeInfo?.kernelVersion ?? '',
      n.status?.nodeInfo?.containerRuntimeVersion ?? ''
    ]
  },
  Namespace: {
    columns: [NAME, col('Status', 'string', 0, '', 'The status of the namespace'), AGE],
    row: (n) => [n.metadata.name, n.status?.phase ?? 'Active', age(n)]
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'string'), AGE],
    row: (c) => [c.metadata.name, Object.keys(c.data ?? {}).length + Object.keys(c.binaryData ?? {}).length, age(c)]
  },
  Secret: {
    columns: [NAME, col('Type'), col('Data'), AGE],
    row: (s) => [s.metadata.name, s.type ?? 'Opaque', Object.keys(s.data ?? {}).length, age(s)]
  },
  ServiceAccount: { columns: [NAME, col('Secrets', 'string'), AGE], row: (s) => [s.metadata.name, (s.secrets ?? []).length, age(s)] },
  Event: {
    columns: [
      col('Last Seen'),
      col('Type'),
      col('Reason'),
      col('Object'),
      col('Subobject', 'string', 1),
      col('Source', 'string', 1),
      col('Message'),
      col('First Seen', 'string', 1),
      col('Count', 'string', 1),
      col('Name', 'string', 1)
    ],
    row: (e) => [
      sinceTs(e.lastTimestamp ?? e.eventTime),
      e.type,
      e.reason,
      `${(e.involvedObject?.kind ?? '').toLowerCase()}/${e.involvedObject?.name ?? ''}`,
      e.involvedObject?.fieldPath ?? '',
      [e.source?.component, e.source?.host].filter(Boolean).join(', '),
      e.message,
      sinceTs(e.firstTimestamp ?? e.eventTime),
      e.count ?? 1,
      e.metadata.name
    ]
  },
  ControllerRevision: {
    columns: [NAME, col('Controller'), col('Revision', 'integer'), AGE],
    row: (c) => [
      c.metadata.name,
      `${(c.metadata.ownerReferences?.[0]?.kind ?? '').toLowerCase()}.apps/${c.metadata.ownerReferences?.[0]?.name ?? ''}`,
      c.revision,
      age(c)
    ]
  },
  CustomResourceDefinition: { columns: [NAME, col('Created At', 'date')], row: (c) => [c.metadata.name, c.metadata.creationTimestamp] }
}

/** Resources without a printer get the default table: Name and Created At. */
const DEFAULT: Printer = {
  columns: [
    NAME,
    col('Created At', 'date', 0, '', 'CreationTimestamp is a timestamp representing the server time when this object was created.')
  ],
  row: (o) => [o.metadata.name, o.metadata.creationTimestamp]
}

export function toTable(
  kind: string,
  items: KObj[],
  resourceVersion: string,
  includeObject: string | undefined,
  listMeta: Record<string, unknown> = {}
): KObj {
  const p = PRINTERS[kind] ?? DEFAULT
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...listMeta },
    columnDefinitions: p.columns,
    rows: items.map((o) => ({
      cells: p.row(o),
      object:
        includeObject === 'None'
          ? undefined
          : includeObject === 'Object'
            ? o
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata }
    }))
  }
}

export const wantsTable = (accept: string | undefined) => !!accept && /as=Table/.test(accept.split(',')[0] ?? '')
