import type { IncomingMessage } from 'node:http'
import https from 'node:https'
import { classifyNetworkError, NetworkError } from './network-error.js'

/** Deadlines every request of the action's own clients gets unless it asks for others. */
export const DEADLINES = {
  /** TCP, the proxy tunnel and TLS together. */
  connectMs: 10_000,
  /** From sending to the response's headers. */
  answerMs: 20_000,
  /** Between two chunks of a body once it started (large lists stream for a while). */
  idleMs: 20_000
} as const

export interface HttpRequest {
  method: string
  url: string | URL
  headers?: Record<string, string>
  body?: string
  /** The connection pool to use (an API server's own CA and client certificate); default: the shared one. */
  agent?: https.Agent
  connectTimeoutMs?: number
  answerTimeoutMs?: number
  idleTimeoutMs?: number
  /** No part of the exchange runs past this moment (epoch ms), whatever the other deadlines say. */
  deadline?: number
  signal?: AbortSignal
}

export interface HttpResponse {
  status: number
  header(name: string): string | undefined
  text: string
}

/**
 * One pool for the action's own HTTPS calls to hosts with public certificates (registries, the
 * runner's OIDC endpoint), honouring HTTPS_PROXY/NO_PROXY as the Azure SDK does. Node's global
 * fetch is not used: a bundled undici may replace its dispatcher and silently ignore the proxy.
 */
const sharedAgent = new https.Agent({ keepAlive: true, proxyEnv: process.env })

/** Ends keep-alive sockets so the process can exit as soon as the run is done. */
export function closeSharedAgent(): void {
  sharedAgent.destroy()
}

/** Sends a request and reads the whole answer, within the request's deadlines. */
export async function sendRequest(request: HttpRequest): Promise<HttpResponse> {
  const response = await openRequest(request)
  const host = hostOf(request.url)
  const chunks: Buffer[] = []
  try {
    for await (const chunk of response) chunks.push(chunk as Buffer)
  } catch (error) {
    throw classifyNetworkError(host, error)
  }
  const headers = response.headers
  return {
    status: response.statusCode ?? 0,
    header: (name) => {
      const value = headers[name.toLowerCase()]
      return Array.isArray(value) ? value.join(', ') : value
    },
    text: Buffer.concat(chunks).toString('utf8')
  }
}

/**
 * Sends a request and resolves with the response as soon as its headers arrive; the body streams
 * (watches). The connect and answer deadlines end the request with a NetworkError naming the host;
 * once streaming, a body that stays silent for `idleTimeoutMs` is destroyed with one too.
 */
export function openRequest(request: HttpRequest): Promise<IncomingMessage> {
  const url = typeof request.url === 'string' ? new URL(request.url) : request.url
  const host = url.host
  const started = Date.now()
  const budget = (ms: number) => Math.max(0, Math.min(ms, (request.deadline ?? Infinity) - Date.now()))
  const connectMs = budget(request.connectTimeoutMs ?? DEADLINES.connectMs)
  const answerMs = budget(request.answerTimeoutMs ?? DEADLINES.answerMs)
  const idleMs = request.idleTimeoutMs ?? DEADLINES.idleMs

  return new Promise((resolve, reject) => {
    const timers = new Set<NodeJS.Timeout>()
    const timer = (ms: number, fire: () => void) => {
      const t = setTimeout(() => {
        timers.delete(t)
        fire()
      }, ms)
      timers.add(t)
      return t
    }
    const clear = (t: NodeJS.Timeout | undefined) => {
      if (!t) return
      clearTimeout(t)
      timers.delete(t)
    }
    const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`
    let settled = false
    const fail = (error: unknown) => {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      if (settled) return
      settled = true
      reject(classifyNetworkError(host, error))
    }

    const req = https.request(url, {
      method: request.method,
      agent: request.agent ?? sharedAgent,
      signal: request.signal,
      // Node's own proxy tunnel (HTTPS_PROXY) honours only this as its deadline; on a connected
      // socket it merely emits 'timeout', which nothing here listens to.
      timeout: connectMs,
      headers: {
        'user-agent': 'aks-acr-action',
        ...request.headers,
        ...(request.body !== undefined ? { 'content-length': String(Buffer.byteLength(request.body)) } : {})
      }
    })
    // A request still waiting for its proxy tunnel has no socket to destroy and would never report
    // the error, so the deadlines reject first and destroy second.
    const giveUp = (error: NetworkError) => {
      fail(error)
      req.destroy(error)
    }
    const connectTimer = timer(connectMs, () =>
      giveUp(new NetworkError(host, 'connect-timeout', `nothing within ${seconds(Date.now() - started)}`))
    )
    timer(answerMs, () => giveUp(new NetworkError(host, 'timeout', `no answer within ${seconds(Date.now() - started)}`)))
    req.on('socket', (socket) => {
      // Reused sockets, and sockets through a proxy tunnel, arrive connected and past the TLS handshake.
      const tls = socket as import('node:tls').TLSSocket
      const ready = req.reusedSocket || (!socket.connecting && (typeof tls.getProtocol !== 'function' || tls.getProtocol() !== null))
      if (ready) clear(connectTimer)
      else socket.once('secureConnect', () => clear(connectTimer))
    })
    req.on('error', fail)
    req.on('response', (response) => {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      settled = true
      // A body that stops flowing is as good as no answer: end it so readers see an error, not a
      // hang. The socket's inactivity timer measures that without consuming the body; the agent
      // resets it when the socket goes back to the pool.
      response.setTimeout(idleMs, () => response.destroy(new NetworkError(host, 'timeout', `the answer stalled for ${seconds(idleMs)}`)))
      const untilDeadline =
        request.deadline === undefined
          ? undefined
          : timer(budget(Infinity), () => response.destroy(new NetworkError(host, 'timeout', 'the deadline passed')))
      response.once('close', () => clear(untilDeadline))
      resolve(response)
    })
    req.end(request.body)
  })
}

function hostOf(url: string | URL): string {
  return (typeof url === 'string' ? new URL(url) : url).host
}
