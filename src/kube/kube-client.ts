import https from 'node:https'
import * as core from '@actions/core'
import type { ClusterAccess } from './kubeconfig.js'

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

/**
 * A narrow REST client for one API server: manifests go out exactly as written (no model round
 * trip drops unknown fields) and watches stream newline-delimited events. It honours
 * HTTPS_PROXY/NO_PROXY like the rest of the action, with the cluster's own CA.
 */
export class KubeClient {
  private readonly access: ClusterAccess
  private readonly agent: https.Agent
  private bearer: string | undefined

  constructor(access: ClusterAccess, bearer?: string) {
    this.access = access
    this.bearer = bearer ?? access.token
    if (this.bearer) core.setSecret(this.bearer)
    this.agent = new https.Agent({
      keepAlive: true,
      ca: access.caPem,
      cert: access.clientCertPem,
      key: access.clientKeyPem,
      proxyEnv: process.env
    })
  }

  async request<T = unknown>(method: string, path: string, options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined> } = {}): Promise<KubeResponse<T>> {
    const payload = options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body)
    const response = await this.send(method, this.url(path, options.query), payload, options.contentType)
    const chunks: Buffer[] = []
    for await (const chunk of response) chunks.push(chunk as Buffer)
    const text = Buffer.concat(chunks).toString('utf8')
    let body: unknown = text
    try {
      body = text ? JSON.parse(text) : undefined
    } catch {
      // Non-JSON bodies (proxies, load balancers) are passed on as text for the error message.
    }
    return { status: response.statusCode ?? 0, body: body as T }
  }

  /**
   * Streams watch events until `signal` aborts or the server closes the stream. Resolves with how
   * the stream ended so the caller can re-list (410 Gone) or resume from the last resourceVersion.
   */
  async watch(path: string, query: Record<string, string | undefined>, onEvent: (event: WatchEvent) => void, signal: AbortSignal): Promise<'closed' | 'aborted'> {
    const response = await this.send('GET', this.url(path, { ...query, watch: '1', allowWatchBookmarks: 'true' }), undefined, undefined, signal)
    if ((response.statusCode ?? 0) >= 400) {
      const chunks: Buffer[] = []
      for await (const chunk of response) chunks.push(chunk as Buffer)
      const text = Buffer.concat(chunks).toString('utf8')
      let status: KubeStatus = { code: response.statusCode, message: text }
      try {
        status = JSON.parse(text) as KubeStatus
      } catch {
        // keep the text
      }
      onEvent({ type: 'ERROR', object: status as Record<string, unknown> })
      return 'closed'
    }
    let buffered = ''
    try {
      for await (const chunk of response) {
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
      throw error
    }
    return signal.aborted ? 'aborted' : 'closed'
  }

  close(): void {
    this.agent.destroy()
  }

  private url(path: string, query: Record<string, string | undefined> = {}): URL {
    const url = new URL(`${this.access.server}${path}`)
    for (const [key, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(key, value)
    return url
  }

  private send(method: string, url: URL, payload: string | undefined, contentType: string | undefined, signal?: AbortSignal) {
    return new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      const request = https.request(
        url,
        {
          method,
          agent: this.agent,
          signal,
          headers: {
            accept: 'application/json',
            'user-agent': 'aks-acr-action',
            ...(this.bearer ? { authorization: `Bearer ${this.bearer}` } : {}),
            ...(payload !== undefined ? { 'content-type': contentType ?? 'application/json', 'content-length': Buffer.byteLength(payload) } : {})
          }
        },
        resolve
      )
      request.on('error', reject)
      request.end(payload)
    })
  }
}
