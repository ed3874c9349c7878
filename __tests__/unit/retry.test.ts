import { describe, expect, it } from '@jest/globals'
import { withRetry } from '../../src/net/retry.js'

const answer = (status: number) => ({ status, header: () => undefined })

describe('withRetry', () => {
  it('retries a 503 and hands back the answer that followed', async () => {
    const statuses = [503, 200]
    let sent = 0
    const response = await withRetry(async () => answer(statuses[sent++]!), { idempotent: true, sleep: async () => undefined })
    expect(response.status).toBe(200)
    expect(sent).toBe(2)
  })

  it('sends a request that may not be repeated once', async () => {
    let sent = 0
    const response = await withRetry(async () => (sent++, answer(503)), { idempotent: false, sleep: async () => undefined })
    expect(response.status).toBe(503)
    expect(sent).toBe(1)
  })

  it('stops waiting when its signal aborts and hands back the last answer without sending again', async () => {
    const controller = new AbortController()
    let sent = 0
    // The abort comes as the wait begins; the default wait (500 ms and more) must end with it.
    const result = await withRetry(async () => (sent++, answer(503)), {
      idempotent: true,
      signal: controller.signal,
      onRetry: () => controller.abort()
    })
    expect(result.status).toBe(503)
    expect(sent).toBe(1)
  })
})
