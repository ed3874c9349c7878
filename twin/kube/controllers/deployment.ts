/**
 * Deployment controller, after pkg/controller/deployment: one ReplicaSet per
 * pod template (`<name>-<pod-template-hash>`, revision annotations, old ones
 * kept up to revisionHistoryLimit for `rollout undo`), rolling updates within
 * maxSurge/maxUnavailable (or Recreate), status counts, and the Progressing /
 * Available conditions whose reasons `kubectl rollout status` reads,
 * including ProgressDeadlineExceeded after progressDeadlineSeconds of no
 * progress, in real seconds.
 */
import type { KubeCluster } from '../cluster.ts'
import type { KObj } from '../store.ts'
import { deepEqual, intOrPercent, isOwnedBy, nowIso, ownerRef, templateHash } from '../objects.ts'

const SRC = { component: 'deployment-controller' }
const REV = 'deployment.kubernetes.io/revision'
const HASH = 'pod-template-hash'

const rev = (rs: KObj) => Number(rs.metadata.annotations?.[REV] ?? 0)
const specReplicas = (rs: KObj) => rs.spec?.replicas ?? 0

function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls)
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) out[k] = dropNulls(x)
    return out
  }
  return v
}

function templateOf(rs: KObj) {
  const t = structuredClone(rs.spec?.template ?? {})
  if (t.metadata?.labels) delete t.metadata.labels[HASH]
  return t
}

export function reconcileDeployment(k: KubeCluster, ns: string, name: string): number | undefined {
  let d = k.get('Deployment', ns, name)
  if (!d || d.metadata.deletionTimestamp) return
  const replicas: number = d.spec.replicas ?? 1
  const all = k.list('ReplicaSet', ns).filter((rs) => isOwnedBy(rs, d!))
  // Semantic equality, as EqualIgnoreHash: `creationTimestamp: null` and other nulls are the zero value.
  let newRS = all.find((rs) => deepEqual(dropNulls(templateOf(rs)), dropNulls(d!.spec.template)))
  const old = all.filter((rs) => rs !== newRS).sort((a, b) => (a.metadata.creationTimestamp < b.metadata.creationTimestamp ? -1 : 1))
  const maxOldRev = Math.max(0, ...old.map(rev))
  const prevStatus: KObj = d.status ?? {}
  let conditions: KObj[] = [...(prevStatus.conditions ?? [])]
  const setCond = (c: KObj, force = false) => {
    const i = conditions.findIndex((x) => x.type === c.type)
    const cur = i >= 0 ? conditions[i] : undefined
    if (!force && cur && cur.status === c.status && cur.reason === c.reason) return
    const now = nowIso()
    const next = {
      type: c.type,
      status: c.status,
      lastUpdateTime: now,
      lastTransitionTime: cur && cur.status === c.status ? cur.lastTransitionTime : now,
      reason: c.reason,
      message: c.message
    }
    if (i >= 0) conditions[i] = next
    else conditions.push(next)
  }
  const maxSurge =
    d.spec.strategy?.type === 'Recreate' ? 0 : intOrPercent(d.spec.strategy?.rollingUpdate?.maxSurge ?? '25%', replicas, true)
  let maxUnavailable =
    d.spec.strategy?.type === 'Recreate' ? 0 : intOrPercent(d.spec.strategy?.rollingUpdate?.maxUnavailable ?? '25%', replicas, false)
  if (maxSurge === 0 && maxUnavailable === 0) maxUnavailable = 1
  if (maxUnavailable > replicas) maxUnavailable = replicas
  const scale = (rs: KObj, to: number) => {
    const from = specReplicas(rs)
    if (from === to) return rs
    const updated =
      k.modify('ReplicaSet', rs, (x) => {
        x.spec.replicas = to
        x.metadata.annotations = {
          ...(x.metadata.annotations ?? {}),
          'deployment.kubernetes.io/desired-replicas': String(replicas),
          'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge)
        }
      }) ?? rs
    k.event(
      d!,
      'Normal',
      'ScalingReplicaSet',
      `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.metadata.name} to ${to} from ${from}`,
      SRC
    )
    return updated
  }

  if (!newRS && !d.spec.paused) {
    const hash = templateHash(dropNulls(d.spec.template), prevStatus.collisionCount ?? 0)
    const template = structuredClone(d.spec.template)
    template.metadata ??= {}
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [HASH]: hash }
    const total = old.reduce((n, rs) => n + specReplicas(rs), 0)
    const initial =
      d.spec.strategy?.type === 'Recreate'
        ? old.some((rs) => specReplicas(rs) > 0)
          ? 0
          : replicas
        : Math.max(0, Math.min(replicas, replicas + maxSurge - total))
    newRS = k.create(
      {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${d.metadata.name}-${hash}`,
          namespace: ns,
          labels: template.metadata.labels,
          annotations: {
            'deployment.kubernetes.io/desired-replicas': String(replicas),
            'deployment.kubernetes.io/max-replicas': String(replicas + maxSurge),
            [REV]: String(maxOldRev + 1)
          },
          ownerReferences: [ownerRef(d)]
        },
        spec: {
          replicas: initial,
          minReadySeconds: d.spec.minReadySeconds ?? 0,
          selector: { ...d.spec.selector, matchLabels: { ...(d.spec.selector?.matchLabels ?? {}), [HASH]: hash } },
          template
        }
      },
      { manager: 'kube-controller-manager' }
    )
    if (initial > 0) k.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${newRS.metadata.name} to ${initial} from 0`, SRC)
    setCond(
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${newRS.metadata.name}"` },
      true
    )
  } else if (newRS && rev(newRS) <= maxOldRev) {
    // Rolling back to an old template: its ReplicaSet becomes the newest revision again.
    const from = rev(newRS)
    newRS =
      k.modify('ReplicaSet', newRS, (x) => {
        const hist = x.metadata.annotations?.['deployment.kubernetes.io/revision-history']
        x.metadata.annotations = {
          ...(x.metadata.annotations ?? {}),
          [REV]: String(maxOldRev + 1),
          'deployment.kubernetes.io/revision-history': hist ? `${hist},${from}` : String(from)
        }
      }) ?? newRS
    setCond(
      { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${newRS.metadata.name}"` },
      true
    )
  }
  if (newRS && d.metadata.annotations?.[REV] !== String(rev(newRS))) {
    d =
      k.modify('Deployment', d, (x) => {
        x.metadata.annotations = { ...(x.metadata.annotations ?? {}), [REV]: String(rev(newRS!)) }
      }) ?? d
  }

  if (newRS && !d.spec.paused) {
    if (d.spec.strategy?.type === 'Recreate') {
      const active = old.filter((rs) => specReplicas(rs) > 0)
      for (const rs of active) scale(rs, 0)
      const oldPods = old.reduce((n, rs) => n + (rs.status?.replicas ?? 0), 0)
      if (!active.length && oldPods === 0) newRS = scale(newRS, replicas)
    } else {
      // reconcileNewReplicaSet
      const total = [newRS, ...old].reduce((n, rs) => n + specReplicas(rs), 0)
      if (specReplicas(newRS) > replicas) newRS = scale(newRS, replicas)
      else if (specReplicas(newRS) < replicas && total < replicas + maxSurge) {
        newRS = scale(newRS, specReplicas(newRS) + Math.min(replicas + maxSurge - total, replicas - specReplicas(newRS)))
      }
      // reconcileOldReplicaSets
      const oldCount = old.reduce((n, rs) => n + specReplicas(rs), 0)
      if (oldCount > 0) {
        const allCount = oldCount + specReplicas(newRS)
        const minAvailable = replicas - maxUnavailable
        const newUnavailable = specReplicas(newRS) - (newRS.status?.availableReplicas ?? 0)
        let budget = allCount - minAvailable - newUnavailable
        if (budget > 0) {
          for (let i = 0; i < old.length && budget > 0; i++) {
            const unhealthy = specReplicas(old[i]) - (old[i].status?.availableReplicas ?? 0)
            const n = Math.min(budget, unhealthy)
            if (n > 0) {
              old[i] = scale(old[i], specReplicas(old[i]) - n)
              budget -= n
            }
          }
          const available = [newRS, ...old].reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0)
          let down = available - minAvailable
          for (let i = 0; i < old.length && down > 0; i++) {
            const n = Math.min(specReplicas(old[i]), down)
            if (n > 0) {
              old[i] = scale(old[i], specReplicas(old[i]) - n)
              down -= n
            }
          }
        }
      }
    }
    // cleanupDeployment: old, empty ReplicaSets beyond the history limit.
    const limit = d.spec.revisionHistoryLimit ?? 10
    const empty = old.filter((rs) => specReplicas(rs) === 0 && (rs.status?.replicas ?? 0) === 0).sort((a, b) => rev(a) - rev(b))
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) k.remove('ReplicaSet', ns, rs.metadata.name)
  }

  // calculateStatus
  const rsAll = newRS ? [newRS, ...old] : old
  const fresh = rsAll.map((rs) => k.get('ReplicaSet', ns, rs.metadata.name) ?? rs)
  const newFresh = newRS ? fresh[0] : undefined
  const sum = (f: (rs: KObj) => number) => fresh.reduce((n, rs) => n + f(rs), 0)
  const status: KObj = { observedGeneration: d.metadata.generation }
  const actual = sum((rs) => rs.status?.replicas ?? 0)
  const updated = newFresh?.status?.replicas ?? 0
  const ready = sum((rs) => rs.status?.readyReplicas ?? 0)
  const available = sum((rs) => rs.status?.availableReplicas ?? 0)
  const unavailable = Math.max(0, sum(specReplicas) - available)
  if (actual) status.replicas = actual
  if (updated) status.updatedReplicas = updated
  if (ready) status.readyReplicas = ready
  if (available) status.availableReplicas = available
  if (unavailable) status.unavailableReplicas = unavailable
  if (prevStatus.collisionCount) status.collisionCount = prevStatus.collisionCount
  if (available >= replicas - maxUnavailable)
    setCond({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' })
  else
    setCond({
      type: 'Available',
      status: 'False',
      reason: 'MinimumReplicasUnavailable',
      message: 'Deployment does not have minimum availability.'
    })
  // Available is listed first, as the controller adds it first on a new Deployment.
  conditions = [...conditions.filter((c) => c.type === 'Available'), ...conditions.filter((c) => c.type !== 'Available')]

  let requeue: number | undefined
  const deadline = d.spec.progressDeadlineSeconds
  if (newFresh && deadline !== undefined && deadline !== 2147483647 && !d.spec.paused) {
    const complete = updated === replicas && actual === replicas && available === replicas
    const progressing =
      updated > (prevStatus.updatedReplicas ?? 0) ||
      ready > (prevStatus.readyReplicas ?? 0) ||
      available > (prevStatus.availableReplicas ?? 0) ||
      actual - updated < (prevStatus.replicas ?? 0) - (prevStatus.updatedReplicas ?? 0)
    const cur = conditions.find((c) => c.type === 'Progressing')
    const rsName = newFresh.metadata.name
    if (complete) {
      setCond({
        type: 'Progressing',
        status: 'True',
        reason: 'NewReplicaSetAvailable',
        message: `ReplicaSet "${rsName}" has successfully progressed.`
      })
    } else if (progressing) {
      setCond({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` }, true)
    } else if (cur && cur.reason !== 'ProgressDeadlineExceeded' && cur.reason !== 'NewReplicaSetAvailable') {
      const last = Date.parse(cur.lastUpdateTime)
      const due = last + deadline * 1000
      if (Date.now() >= due) {
        setCond({
          type: 'Progressing',
          status: 'False',
          reason: 'ProgressDeadlineExceeded',
          message: `ReplicaSet "${rsName}" has timed out progressing.`
        })
      } else requeue = due - Date.now() + 20
    } else if (!cur) {
      setCond({ type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${rsName}" is progressing.` })
    }
    const after = conditions.find((c) => c.type === 'Progressing')
    if (!complete && after?.status === 'True' && requeue === undefined) {
      requeue = Date.parse(after.lastUpdateTime) + deadline * 1000 - Date.now() + 20
    }
  }
  status.conditions = conditions
  k.writeStatus('Deployment', d, status)
  return requeue
}
