import { describe, expect, it } from '@jest/globals'
import { readinessOf } from '../../src/kube/readiness.js'
import { podProblem, selects } from '../../src/kube/pod-problems.js'

const meta = (generation = 2) => ({ name: 'web', generation })

describe("readiness follows kubectl rollout status's rules", () => {
  it('Deployment: waits for the spec to be observed, then updated, old terminated, available', () => {
    const spec = { replicas: 3 }
    expect(readinessOf('Deployment', { metadata: meta(), spec, status: { observedGeneration: 1 } }).message).toContain(
      'spec update to be observed'
    )
    expect(readinessOf('Deployment', { metadata: meta(), spec, status: { observedGeneration: 2, updatedReplicas: 1 } }).message).toContain(
      '1 out of 3 new replicas have been updated'
    )
    expect(
      readinessOf('Deployment', { metadata: meta(), spec, status: { observedGeneration: 2, updatedReplicas: 3, replicas: 4 } }).message
    ).toContain('1 old replicas are pending termination')
    expect(
      readinessOf('Deployment', {
        metadata: meta(),
        spec,
        status: { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }
      }).message
    ).toContain('2 of 3 updated replicas are available')
    expect(
      readinessOf('Deployment', {
        metadata: meta(),
        spec,
        status: { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }
      }).state
    ).toBe('ready')
  })
  it('Deployment: fails on ProgressDeadlineExceeded', () => {
    const status = { observedGeneration: 2, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] }
    expect(readinessOf('Deployment', { metadata: meta(), spec: { replicas: 1 }, status })).toMatchObject({
      state: 'failed',
      message: 'deployment "web" exceeded its progress deadline'
    })
  })
  it('StatefulSet: ready replicas, then the partition rule once rollingUpdate is set, else revisions', () => {
    const rolling = { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } }
    expect(
      readinessOf('StatefulSet', { metadata: meta(), spec: rolling, status: { observedGeneration: 2, readyReplicas: 2 } }).message
    ).toContain('Waiting for 1 pods to be ready')
    expect(
      readinessOf('StatefulSet', {
        metadata: meta(),
        spec: rolling,
        status: { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 1 }
      }).message
    ).toContain('partitioned roll out to finish: 1 out of 2')
    expect(
      readinessOf('StatefulSet', {
        metadata: meta(),
        spec: rolling,
        status: { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2 }
      }).state
    ).toBe('ready')
    const plain = { replicas: 2, updateStrategy: { type: 'RollingUpdate' } }
    expect(
      readinessOf('StatefulSet', {
        metadata: meta(),
        spec: plain,
        status: { observedGeneration: 2, readyReplicas: 2, currentRevision: 'a', updateRevision: 'b' }
      }).state
    ).toBe('progressing')
    expect(
      readinessOf('StatefulSet', {
        metadata: meta(),
        spec: plain,
        status: { observedGeneration: 2, readyReplicas: 2, currentRevision: 'b', updateRevision: 'b' }
      }).state
    ).toBe('ready')
  })
  it('DaemonSet: updated, then available, against desired', () => {
    expect(
      readinessOf('DaemonSet', {
        metadata: meta(),
        spec: {},
        status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 2 }
      }).message
    ).toContain('2 out of 3 new pods have been updated')
    expect(
      readinessOf('DaemonSet', {
        metadata: meta(),
        spec: {},
        status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 1 }
      }).message
    ).toContain('1 of 3 updated pods are available')
    expect(
      readinessOf('DaemonSet', {
        metadata: meta(),
        spec: {},
        status: { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }
      }).state
    ).toBe('ready')
  })
  it('Job: Complete or Failed conditions', () => {
    expect(readinessOf('Job', { metadata: meta(), spec: { completions: 2 }, status: { succeeded: 1 } }).state).toBe('progressing')
    expect(readinessOf('Job', { metadata: meta(), spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } }).state).toBe(
      'ready'
    )
    expect(
      readinessOf('Job', {
        metadata: meta(),
        spec: {},
        status: { conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] }
      }).message
    ).toContain('BackoffLimitExceeded')
  })
})

describe('pods', () => {
  it('report the first stuck container with the image its spec asks for', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'n' },
      spec: {
        containers: [
          { name: 'a', image: 'x/a:1' },
          { name: 'b', image: 'x/b:1' }
        ]
      },
      status: {
        containerStatuses: [
          { name: 'a', state: { running: {} } },
          { name: 'b', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off' } } }
        ]
      }
    }
    expect(podProblem(pod)).toEqual({
      pod: 'p',
      namespace: 'n',
      container: 'b',
      image: 'x/b:1',
      reason: 'ImagePullBackOff',
      message: 'Back-off',
      pullSecrets: []
    })
    expect(podProblem({ ...pod, spec: { ...pod.spec, imagePullSecrets: [{ name: 'regcred' }, {}] } })?.pullSecrets).toEqual(['regcred'])
    expect(
      podProblem({ status: { containerStatuses: [{ name: 'a', state: { waiting: { reason: 'ContainerCreating' } } }] } })
    ).toBeUndefined()
  })
  it('are matched by label selectors with expressions', () => {
    const selector = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] }
    expect(selects(selector, { app: 'web', tier: 'front' })).toBe(true)
    expect(selects(selector, { app: 'web', tier: 'back' })).toBe(false)
    expect(selects(undefined, { app: 'web' })).toBe(false)
  })
})
