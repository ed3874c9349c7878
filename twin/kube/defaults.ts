/**
 * The API server's defaulting, for the fields clients read back (kubectl
 * diff/apply output, rollout status math, the action's readiness checks):
 * a Deployment without strategy still has maxSurge/maxUnavailable 25% and a
 * 600 s progress deadline.
 */
import type { KObj } from './store.ts'

type O = Record<string, any>

const imageTag = (image: string) => {
  const noDigest = image.split('@')[0]
  const last = noDigest.split('/').at(-1) ?? ''
  return last.includes(':') ? last.split(':').at(-1)! : ''
}

function defaultContainer(c: O) {
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  if (!c.imagePullPolicy && typeof c.image === 'string') {
    const tag = imageTag(c.image)
    c.imagePullPolicy = !c.image.includes('@') && (tag === '' || tag === 'latest') ? 'Always' : 'IfNotPresent'
  }
  c.resources ??= {}
  for (const p of c.ports ?? []) p.protocol ??= 'TCP'
  for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
    if (!probe) continue
    probe.timeoutSeconds ??= 1
    probe.periodSeconds ??= 10
    probe.successThreshold ??= 1
    probe.failureThreshold ??= 3
    if (probe.httpGet) probe.httpGet.scheme ??= 'HTTP'
  }
}

export function defaultPodSpec(spec: O | undefined, restartPolicy = 'Always') {
  if (!spec) return
  spec.restartPolicy ??= restartPolicy
  spec.terminationGracePeriodSeconds ??= 30
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.securityContext ??= {}
  spec.schedulerName ??= 'default-scheduler'
  for (const c of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) defaultContainer(c)
}

export function applyDefaults(kind: string, o: KObj) {
  const spec: O | undefined = o.spec
  switch (kind) {
    case 'Deployment':
      if (!spec) return
      spec.replicas ??= 1
      spec.strategy ??= {}
      spec.strategy.type ??= 'RollingUpdate'
      if (spec.strategy.type === 'RollingUpdate') {
        spec.strategy.rollingUpdate ??= {}
        spec.strategy.rollingUpdate.maxUnavailable ??= '25%'
        spec.strategy.rollingUpdate.maxSurge ??= '25%'
      }
      spec.revisionHistoryLimit ??= 10
      spec.progressDeadlineSeconds ??= 600
      defaultPodSpec(spec.template?.spec)
      return
    case 'ReplicaSet':
      if (!spec) return
      spec.replicas ??= 1
      defaultPodSpec(spec.template?.spec)
      return
    case 'StatefulSet':
      if (!spec) return
      spec.replicas ??= 1
      spec.podManagementPolicy ??= 'OrderedReady'
      spec.updateStrategy ??= {}
      spec.updateStrategy.type ??= 'RollingUpdate'
      if (spec.updateStrategy.type === 'RollingUpdate') {
        spec.updateStrategy.rollingUpdate ??= {}
        spec.updateStrategy.rollingUpdate.partition ??= 0
      }
      spec.revisionHistoryLimit ??= 10
      spec.persistentVolumeClaimRetentionPolicy ??= { whenDeleted: 'Retain', whenScaled: 'Retain' }
      defaultPodSpec(spec.template?.spec)
      return
    case 'DaemonSet':
      if (!spec) return
      spec.updateStrategy ??= {}
      spec.updateStrategy.type ??= 'RollingUpdate'
      if (spec.updateStrategy.type === 'RollingUpdate') {
        spec.updateStrategy.rollingUpdate ??= {}
        spec.updateStrategy.rollingUpdate.maxUnavailable ??= 1
        spec.updateStrategy.rollingUpdate.maxSurge ??= 0
      }
      spec.revisionHistoryLimit ??= 10
      defaultPodSpec(spec.template?.spec)
      return
    case 'Job': {
      if (!spec) return
      spec.parallelism ??= 1
      spec.completions ??= 1
      spec.backoffLimit ??= 6
      spec.completionMode ??= 'NonIndexed'
      spec.suspend ??= false
      spec.podReplacementPolicy ??= 'TerminatingOrFailed'
      spec.manualSelector ??= undefined
      if (!spec.manualSelector && o.metadata.uid) {
        const uid = o.metadata.uid
        const name = o.metadata.name
        spec.selector ??= { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } }
        spec.template ??= {}
        spec.template.metadata ??= {}
        spec.template.metadata.labels = {
          ...(spec.template.metadata.labels ?? {}),
          'batch.kubernetes.io/controller-uid': uid,
          'batch.kubernetes.io/job-name': name,
          'controller-uid': uid,
          'job-name': name
        }
      }
      defaultPodSpec(spec.template?.spec, 'Never')
      return
    }
    case 'Pod':
      defaultPodSpec(spec)
      if (spec) {
        spec.serviceAccountName ??= 'default'
        spec.serviceAccount ??= spec.serviceAccountName
        spec.enableServiceLinks ??= true
        spec.preemptionPolicy ??= 'PreemptLowerPriority'
        spec.priority ??= 0
        spec.tolerations ??= [
          { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
          { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 }
        ]
      }
      return
    case 'Service':
      if (!spec) return
      spec.type ??= 'ClusterIP'
      spec.sessionAffinity ??= 'None'
      spec.ipFamilies ??= ['IPv4']
      spec.ipFamilyPolicy ??= 'SingleStack'
      spec.internalTrafficPolicy ??= 'Cluster'
      for (const p of spec.ports ?? []) {
        p.protocol ??= 'TCP'
        p.targetPort ??= p.port
      }
      return
    case 'Namespace':
      o.spec ??= {}
      o.spec.finalizers ??= ['kubernetes']
      o.status ??= { phase: 'Active' }
      o.metadata.labels = { ...(o.metadata.labels ?? {}), 'kubernetes.io/metadata.name': o.metadata.name }
      return
    case 'Secret':
      o.type ??= 'Opaque'
      if (o.stringData) {
        o.data = { ...(o.data ?? {}) }
        for (const [k, v] of Object.entries(o.stringData as Record<string, string>)) o.data[k] = Buffer.from(v).toString('base64')
        delete o.stringData
      }
      return
  }
}
