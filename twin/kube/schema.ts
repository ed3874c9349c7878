/**
 * Hand-written structural schemas of the served kinds: one tree drives strict
 * field validation (unknown-field errors as the server words them), the
 * server-side-apply field sets (which lists are maps, keyed by what), strategic
 * merge patch keys, and the OpenAPI v3 documents kubectl reads. Subtrees the
 * twin does not model are `any` (x-kubernetes-preserve-unknown-fields), so a
 * typo there is not caught; the fields a deploy manifest really uses are typed.
 */
export type Scalar = 'string' | 'integer' | 'number' | 'boolean' | 'int-or-string' | 'quantity' | 'date' | 'any'

export type Schema =
  | { t: Scalar }
  | { t: 'object'; props: Record<string, Schema>; name: string }
  | { t: 'map'; value: Schema }
  | { t: 'array'; items: Schema; listType: 'atomic' | 'set' | 'map'; keys?: string[]; smpKey?: string }

const S = (t: Scalar): Schema => ({ t })
const str = S('string'),
  int = S('integer'),
  bool = S('boolean'),
  any = S('any'),
  ios = S('int-or-string'),
  date = S('date')
const obj = (name: string, props: Record<string, Schema>): Schema => ({ t: 'object', name, props })
const map = (value: Schema = str): Schema => ({ t: 'map', value })
const atomic = (items: Schema = str): Schema => ({ t: 'array', items, listType: 'atomic' })
const set = (items: Schema = str): Schema => ({ t: 'array', items, listType: 'set' })
const keyed = (items: Schema, keys: string[], smpKey = keys[0]): Schema => ({ t: 'array', items, listType: 'map', keys, smpKey })

const ownerReference = obj('io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference', {
  apiVersion: str,
  kind: str,
  name: str,
  uid: str,
  controller: bool,
  blockOwnerDeletion: bool
})

export const objectMeta = obj('io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta', {
  name: str,
  generateName: str,
  namespace: str,
  selfLink: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  creationTimestamp: date,
  deletionTimestamp: date,
  deletionGracePeriodSeconds: int,
  labels: map(),
  annotations: map(),
  ownerReferences: keyed(ownerReference, ['uid']),
  finalizers: set(),
  managedFields: atomic(any)
})

const labelSelector = obj('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector', {
  matchLabels: map(),
  matchExpressions: atomic(
    obj('io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelectorRequirement', { key: str, operator: str, values: atomic() })
  )
})

const probe = obj('io.k8s.api.core.v1.Probe', {
  exec: obj('io.k8s.api.core.v1.ExecAction', { command: atomic() }),
  httpGet: obj('io.k8s.api.core.v1.HTTPGetAction', { path: str, port: ios, host: str, scheme: str, httpHeaders: atomic(any) }),
  tcpSocket: obj('io.k8s.api.core.v1.TCPSocketAction', { port: ios, host: str }),
  grpc: any,
  initialDelaySeconds: int,
  timeoutSeconds: int,
  periodSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int
})

const envVar = obj('io.k8s.api.core.v1.EnvVar', { name: str, value: str, valueFrom: any })

const container = obj('io.k8s.api.core.v1.Container', {
  name: str,
  image: str,
  command: atomic(),
  args: atomic(),
  workingDir: str,
  ports: keyed(
    obj('io.k8s.api.core.v1.ContainerPort', { name: str, hostPort: int, containerPort: int, protocol: str, hostIP: str }),
    ['containerPort', 'protocol'],
    'containerPort'
  ),
  envFrom: atomic(any),
  env: keyed(envVar, ['name']),
  resources: obj('io.k8s.api.core.v1.ResourceRequirements', {
    limits: map(S('quantity')),
    requests: map(S('quantity')),
    claims: atomic(any)
  }),
  resizePolicy: atomic(any),
  restartPolicy: str,
  volumeMounts: keyed(
    obj('io.k8s.api.core.v1.VolumeMount', {
      name: str,
      readOnly: bool,
      recursiveReadOnly: str,
      mountPath: str,
      subPath: str,
      mountPropagation: str,
      subPathExpr: str
    }),
    ['mountPath']
  ),
  volumeDevices: atomic(any),
  livenessProbe: probe,
  readinessProbe: probe,
  startupProbe: probe,
  lifecycle: any,
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: any,
  stdin: bool,
  stdinOnce: bool,
  tty: bool
})

export const podSpec = obj('io.k8s.api.core.v1.PodSpec', {
  volumes: keyed(any, ['name']),
  initContainers: keyed(container, ['name']),
  containers: keyed(container, ['name']),
  ephemeralContainers: atomic(any),
  restartPolicy: str,
  terminationGracePeriodSeconds: int,
  activeDeadlineSeconds: int,
  dnsPolicy: str,
  nodeSelector: map(),
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  securityContext: any,
  imagePullSecrets: keyed(obj('io.k8s.api.core.v1.LocalObjectReference', { name: str }), ['name']),
  hostname: str,
  subdomain: str,
  affinity: any,
  schedulerName: str,
  tolerations: atomic(any),
  hostAliases: atomic(any),
  priorityClassName: str,
  priority: int,
  dnsConfig: any,
  readinessGates: atomic(any),
  runtimeClassName: str,
  enableServiceLinks: bool,
  preemptionPolicy: str,
  overhead: map(S('quantity')),
  topologySpreadConstraints: atomic(any),
  setHostnameAsFQDN: bool,
  os: any,
  hostUsers: bool,
  schedulingGates: atomic(any),
  resourceClaims: atomic(any),
  resources: any
})

const podTemplate = obj('io.k8s.api.core.v1.PodTemplateSpec', { metadata: objectMeta, spec: podSpec })

const top = (name: string, spec: Schema | undefined, extra: Record<string, Schema> = {}): Schema =>
  obj(name, { apiVersion: str, kind: str, metadata: objectMeta, ...(spec ? { spec } : {}), ...extra })

const deploymentSpec = obj('io.k8s.api.apps.v1.DeploymentSpec', {
  replicas: int,
  selector: labelSelector,
  template: podTemplate,
  strategy: obj('io.k8s.api.apps.v1.DeploymentStrategy', {
    type: str,
    rollingUpdate: obj('io.k8s.api.apps.v1.RollingUpdateDeployment', { maxUnavailable: ios, maxSurge: ios })
  }),
  minReadySeconds: int,
  revisionHistoryLimit: int,
  paused: bool,
  progressDeadlineSeconds: int
})

const replicaSetSpec = obj('io.k8s.api.apps.v1.ReplicaSetSpec', {
  replicas: int,
  minReadySeconds: int,
  selector: labelSelector,
  template: podTemplate
})

const statefulSetSpec = obj('io.k8s.api.apps.v1.StatefulSetSpec', {
  replicas: int,
  selector: labelSelector,
  template: podTemplate,
  volumeClaimTemplates: atomic(any),
  serviceName: str,
  podManagementPolicy: str,
  updateStrategy: obj('io.k8s.api.apps.v1.StatefulSetUpdateStrategy', {
    type: str,
    rollingUpdate: obj('io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy', { partition: int, maxUnavailable: ios })
  }),
  revisionHistoryLimit: int,
  minReadySeconds: int,
  persistentVolumeClaimRetentionPolicy: any,
  ordinals: any
})

const daemonSetSpec = obj('io.k8s.api.apps.v1.DaemonSetSpec', {
  selector: labelSelector,
  template: podTemplate,
  updateStrategy: obj('io.k8s.api.apps.v1.DaemonSetUpdateStrategy', {
    type: str,
    rollingUpdate: obj('io.k8s.api.apps.v1.RollingUpdateDaemonSet', { maxUnavailable: ios, maxSurge: ios })
  }),
  minReadySeconds: int,
  revisionHistoryLimit: int
})

const jobSpec = obj('io.k8s.api.batch.v1.JobSpec', {
  parallelism: int,
  completions: int,
  activeDeadlineSeconds: int,
  podFailurePolicy: any,
  successPolicy: any,
  backoffLimit: int,
  backoffLimitPerIndex: int,
  maxFailedIndexes: int,
  selector: labelSelector,
  manualSelector: bool,
  template: podTemplate,
  ttlSecondsAfterFinished: int,
  completionMode: str,
  suspend: bool,
  podReplacementPolicy: str,
  managedBy: str
})

const serviceSpec = obj('io.k8s.api.core.v1.ServiceSpec', {
  ports: keyed(
    obj('io.k8s.api.core.v1.ServicePort', { name: str, protocol: str, appProtocol: str, port: int, targetPort: ios, nodePort: int }),
    ['port', 'protocol'],
    'port'
  ),
  selector: map(),
  clusterIP: str,
  clusterIPs: atomic(),
  type: str,
  externalIPs: atomic(),
  sessionAffinity: str,
  loadBalancerIP: str,
  loadBalancerSourceRanges: atomic(),
  externalName: str,
  externalTrafficPolicy: str,
  healthCheckNodePort: int,
  publishNotReadyAddresses: bool,
  sessionAffinityConfig: any,
  ipFamilies: atomic(),
  ipFamilyPolicy: str,
  allocateLoadBalancerNodePorts: bool,
  loadBalancerClass: str,
  internalTrafficPolicy: str,
  trafficDistribution: str
})

/** Schemas by kind; status is `any`: clients send none and the server owns it. */
export const KIND_SCHEMAS: Record<string, Schema> = {
  Namespace: top('io.k8s.api.core.v1.Namespace', obj('io.k8s.api.core.v1.NamespaceSpec', { finalizers: atomic() }), { status: any }),
  Node: top('io.k8s.api.core.v1.Node', any, { status: any }),
  Pod: top('io.k8s.api.core.v1.Pod', podSpec, { status: any }),
  Event: obj('io.k8s.api.core.v1.Event', {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    involvedObject: any,
    reason: str,
    message: str,
    source: any,
    firstTimestamp: date,
    lastTimestamp: date,
    count: int,
    type: str,
    eventTime: any,
    series: any,
    action: str,
    related: any,
    reportingComponent: str,
    reportingInstance: str
  }),
  ConfigMap: obj('io.k8s.api.core.v1.ConfigMap', {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    immutable: bool,
    data: map(),
    binaryData: map()
  }),
  Secret: obj('io.k8s.api.core.v1.Secret', {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    immutable: bool,
    data: map(),
    stringData: map(),
    type: str
  }),
  Service: top('io.k8s.api.core.v1.Service', serviceSpec, { status: any }),
  ServiceAccount: obj('io.k8s.api.core.v1.ServiceAccount', {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    secrets: atomic(any),
    imagePullSecrets: atomic(any),
    automountServiceAccountToken: bool
  }),
  Deployment: top('io.k8s.api.apps.v1.Deployment', deploymentSpec, { status: any }),
  ReplicaSet: top('io.k8s.api.apps.v1.ReplicaSet', replicaSetSpec, { status: any }),
  StatefulSet: top('io.k8s.api.apps.v1.StatefulSet', statefulSetSpec, { status: any }),
  DaemonSet: top('io.k8s.api.apps.v1.DaemonSet', daemonSetSpec, { status: any }),
  ControllerRevision: obj('io.k8s.api.apps.v1.ControllerRevision', {
    apiVersion: str,
    kind: str,
    metadata: objectMeta,
    data: any,
    revision: int
  }),
  Job: top('io.k8s.api.batch.v1.Job', jobSpec, { status: any }),
  CustomResourceDefinition: top('io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition', any, { status: any })
}

/** Child schema of a field, `any` when the parent does not model it. */
export function child(s: Schema | undefined, key: string): Schema | undefined {
  if (!s) return undefined
  if (s.t === 'object') return s.props[key]
  if (s.t === 'map') return s.value
  if (s.t === 'any') return s
  return undefined
}

/** Go type names in decode errors: `DeploymentSpec.spec.replicas of type int32`. */
export function goTypeOf(s: Schema): string {
  switch (s.t) {
    case 'integer':
      return 'int32'
    case 'boolean':
      return 'bool'
    case 'string':
    case 'date':
      return 'string'
    case 'array':
      return '[]' + goTypeOf(s.items)
    case 'map':
      return 'map[string]' + goTypeOf(s.value)
    case 'object':
      return s.name.split('.').at(-1)!
    default:
      return 'interface {}'
  }
}
