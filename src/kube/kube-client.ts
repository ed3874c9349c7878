import https from 'node:https'
import * as core from '@actions/core'
import { openRequest, sendRequest } from '../net/http.js'
import { NetworkError } from '../net/network-error.js'
import { withRetry } from '../net/retry.js'

/** A Kubernetes `Status` as the API server sends it on errors. */
export interface KubeStatus {
  kind?: 'Status'
  status?: string
  message?: string
  reason?: string
  code?: number
  details?: { name?: string; kind?: string; causes?: Array<{ type?: string; message?: string; field?: string }> }
}

export interface KubeResponse<T = unknown> {
  status: number
  body: T
}

export interface WatchEvent<T = Record<string, unknown>> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'
  object: T
}

/** How to reach and authenticate to one API server. */
export interface ApiServerEndpoint {
  server: string
  caPem: string | undefined
  clientCertPem: string | undefined
  clientKeyPem: string | undefined
  /**
   * The bearer token for the next request, asked for every request so a long rollout never sends
   * an expired one; `fresh` after a 401. Undefined when the kubeconfig authenticates otherwise.
   */
  token: ((fresh: boolean) => Promise<string | undefined>) | undefined
  /** Turns "could not reach" into advice about this cluster (a private API server, IP ranges). */
  explainUnreachable: (error: NetworkError) => Error
  /** Shorter than the usual connect deadline when a failure to connect has a fallback (auto access). */
  connectTimeoutMs?: number
}

export interface RequestOptions {
  body?: unknown
  contentType?: string
  query?: Record<string, string | undefined>
  /** Ends the request early (a watcher that is no longer needed). */
  signal?: AbortSignal
  /** Instead of the client's phase deadline: clean-up that must run after the phase ended. */
  deadline?: number
}

/** Watches are resumed from the last resourceVersion after this long without a byte. */
const WATCH_IDLE_MS = 60_000

/**
 * A narrow REST client for one API server: manifests go out exactly as written (no model round
 * trip drops unknown fields) and watches stream newline-delimited events. Every request has
 * deadlines (docs/network.md) and goes through the one retry policy when it is idempotent.
 */
export class KubeClient {
  /** The phase this client serves ends here (epoch ms); no request runs past it. */
  deadline: number | undefined
  private readonly endpoint: ApiServerEndpoint
  private readonly agent: https.Agent

  constructor(endpoint: ApiServerEndpoint) {
    this.endpoint = endpoint
    this.agent = new https.Agent({
      keepAlive: true,
      ca: endpoint.caPem,
      cert: endpoint.clientCertPem,
      key: endpoint.clientKeyPem,
      proxyEnv: process.env
    })
  }

  get server(): string {
    return this.endpoint.server
  }

  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<KubeResponse<T>> {
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    const url = this.url(path, options.query)
    const deadline = options.deadline ?? this.deadline
    const send = (fresh: boolean) =>
      withRetry(
        async () =>
          sendRequest({
            method,
            url,
            agent: this.agent,
            deadline,
            connectTimeoutMs: this.endpoint.connectTimeoutMs,
            signal: options.signal,
            body: payload,
            headers: await this.headers(fresh, payload === undefined ? undefined : (options.contentType ?? 'application/json'))
          }),
        { idempotent: isIdempotent(method, options.contentType), deadline, signal: options.signal, onRetry: this.logRetry(method, path) }
      )
    const response = await this.authenticated(send)
    return { status: response.status, body: parseBody(response.text) as T }
  }

  /**
   * Streams watch events until `signal` aborts or the stream ends (the server closed it, it broke,
   * or it stayed silent past the idle deadline). Resolves with how it ended so the caller re-lists
   * (410 Gone, as an ERROR event) or resumes from the last resourceVersion.
   */
  async watch(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (event: WatchEvent) => void,
    signal: AbortSignal
  ): Promise<'closed' | 'aborted'> {
    const url = this.url(path, { ...query, watch: '1', allowWatchBookmarks: 'true' })
    const open = (fresh: boolean) =>
      withRetry(
        async () => {
          const response = await openRequest({
            method: 'GET',
            url,
            agent: this.agent,
            signal,
            deadline: this.deadline,
            connectTimeoutMs: this.endpoint.connectTimeoutMs,
            idleTimeoutMs: WATCH_IDLE_MS,
            headers: await this.headers(fresh, undefined)
          })
          const status = response.statusCode ?? 0
          if (status < 400) return { status, header: () => undefined, stream: response, text: '' }
          const chunks: Buffer[] = []
          for await (const chunk of response) chunks.push(chunk as Buffer)
          const text = Buffer.concat(chunks).toString('utf8')
          return { status, header: (name: string) => headerOf(response.headers[name]), stream: undefined, text }
        },
        { idempotent: true, deadline: this.deadline, signal, onRetry: this.logRetry('WATCH', path) }
      )
    let opened
    try {
      opened = await this.authenticated(open)
    } catch (error) {
      if (signal.aborted) return 'aborted'
      throw error
    }
    if (!opened.stream) {
      const status = (parseBody(opened.text) as KubeStatus | string | undefined) ?? ''
      onEvent({
        type: 'ERROR',
        object: (typeof status === 'object' ? status : { code: opened.status, message: status }) as Record<string, unknown>
      })
      return 'closed'
    }
    let buffered = ''
    try {
      for await (const chunk of opened.stream) {
        buffered += (chunk as Buffer).toString('utf8')
        let newline: number
        while ((newline = buffered.indexOf('\n')) >= 0) {
          const line = buffered.slice(0, newline).trim()
          buffered = buffered.slice(newline + 1)
          if (line) onEvent(JSON.parse(line) as WatchEvent)
        }
      }
    } catch (error) {
      if (signal.aborted) return 'aborted'
      // A stream that broke or went silent is resumed by the caller, as client-go's reflector does.
      if (error instanceof NetworkError || (error as { code?: string }).code === 'ECONNRESET') return 'closed'
      throw error
    }
    return signal.aborted ? 'aborted' : 'closed'
  }

  close(): void {
    this.agent.destroy()
  }

  /** Sends once; on a 401 asks for a fresh token and sends once more, then explains what still fails. */
  private async authenticated<R extends { status: number }>(send: (fresh: boolean) => Promise<R>): Promise<R> {
    try {
      const first = await send(false)
      if (first.status !== 401 || !this.endpoint.token) return first
      return await send(true)
    } catch (error) {
      if (error instanceof NetworkError) throw this.endpoint.explainUnreachable(error)
      throw error
    }
  }

  private async headers(fresh: boolean, contentType: string | undefined): Promise<Record<string, string>> {
    const bearer = await this.endpoint.token?.(fresh)
    return {
      accept: 'application/json',
      ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      ...(contentType ? { 'content-type': contentType } : {})
    }
  }

  private logRetry(method: string, path: string) {
    return (why: string, waitMs: number, attempt: number) =>
      core.info(`Retrying ${method} ${path} in ${(waitMs / 1000).toFixed(1)} s (attempt ${attempt + 1}): ${why}`)
  }

  private url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(`${this.endpoint.server}${path}`)
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value)
    return url
  }
}

/** Reads and server-side apply may be sent twice with the same effect; creates and JSON patches may not. */
function isIdempotent(method: string, contentType: string | undefined): boolean {
  if (method === 'GET' || method === 'HEAD' || method === 'DELETE') return true
  return method === 'PATCH' && contentType === 'application/apply-patch+yaml'
}

function parseBody(text: string): unknown {
  if (!text) return undefined
  try {
    return JSON.parse(text)
  } catch {
    // Non-JSON bodies (proxies, load balancers) are passed on as text for the error message.
    return text
  }
}

function headerOf(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value
}
