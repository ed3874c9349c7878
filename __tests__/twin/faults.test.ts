import { describe, it, expect, beforeAll, afterAll } from '@jest/globals'
import { createContainerService } from '@azure/arm-containerservice/api'
import { get as getCluster } from '@azure/arm-containerservice/api/managedClusters'
import { throttled } from '../../twin/index.ts'
import { startSeeded, credential, SCENARIO } from './helpers.ts'
import type { Harness } from './helpers.ts'

const S = SCENARIO

describe('fault injection and latency', () => {
  let h: Harness
  let aks: ReturnType<typeof createContainerService>
  beforeAll(async () => {
    h = await startSeeded()
    aks = createContainerService(credential(h.twin), S.SUB, {
      endpoint: h.twin.url,
      credentials: { scopes: [S.ARM_SCOPE] },
      apiVersion: '2025-10-01'
    })
  })
  afterAll(async () => {
    await h.close()
  })

  it('the SDK retries a 429 after Retry-After, and the log shows the fault', async () => {
    await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER) // warm the token so only ARM calls are timed
    h.twin.inject({ method: 'GET', path: '/managedClusters/', ...throttled(1) })
    const mc = await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER)
    expect(mc.name).toBe(S.CLUSTER)
    const last = h.twin.requests.slice(-2)
    expect(last.map((r) => [r.status, r.fault ?? false])).toEqual([
      [429, true],
      [200, false]
    ])
    // The twin's own log: the retry arrived no sooner than the second it was asked to wait.
    expect(Date.parse(last[1]!.time) - (Date.parse(last[0]!.time) + last[0]!.durationMs)).toBeGreaterThanOrEqual(1000)
  })

  it('matches by RegExp and counts `times`, then answers normally', async () => {
    h.twin.inject({ path: /managedclusters\/MYAKS/, ...throttled(0), times: 2 })
    h.twin.inject({ path: '/nothing-matches-this', status: 500 })
    const mc = await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER)
    expect(mc.name).toBe(S.CLUSTER)
    expect(h.twin.requests.slice(-3).map((r) => r.status)).toEqual([429, 429, 200])
    h.twin.clearFaults()
  })

  it('latencyMs delays every answer', async () => {
    h.twin.latencyMs = 150
    await getCluster(aks, S.RESOURCE_GROUP, S.CLUSTER)
    // The twin records how long it held each answer: the latency is in it.
    expect(h.twin.requests.at(-1)!.durationMs).toBeGreaterThanOrEqual(150)
    h.twin.latencyMs = 0
  })

  it('never records secrets', () => {
    const text = JSON.stringify(h.twin.requests)
    expect(text).not.toMatch(/Bearer|client_assertion|eyJ/)
  })
})
