import { STATUS_CODES } from 'node:http'
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { randomUUID } from 'node:crypto'

/** How a request reached the twin: directly, through the runner's proxy, or from inside a cluster (a command pod). */
export type Via = 'direct' | 'proxy' | 'cluster'

export interface TwinRequest {
  method: string
  /** Host name without port, lower case: routes registry hosts apart from the twin's own. */
  host: string
  /** `https://<Host header>`: links the twin hands out point back where the client came from. */
  baseUrl: string
  /** Decoded, duplicate slashes collapsed; case kept (handlers compare case-insensitively as ARM does). */
  path: string
  query: Record<string, string>
  /** Every query parameter, repeats kept: token endpoints take several `scope` parameters. */
  search: URLSearchParams
  headers: IncomingHttpHeaders
  body: Buffer
  via: Via
  /** Handlers note the caller's token `oid` here so it lands in the request log. */
  note: { tokenOid?: string }
}

export interface TwinResponse {
  status: number
  headers?: Record<string, string>
  /** Objects are sent as JSON, strings as text, undefined as an empty body. */
  body?: unknown
  /**
   * A long-lived answer (Kubernetes watch): headers go out at once, then the
   * callback owns the response and ends it when it likes.
   */
  stream?: (res: ServerResponse) => void
  /**
   * An accepted HTTP Upgrade (Kubernetes attach over WebSocket): with status 101 the dispatcher
   * writes the status line and `headers`, then the callback owns the socket.
   */
  upgrade?: (socket: Duplex, head: Buffer) => void
}

export type Handler = (req: TwinRequest, m: RegExpExecArray) => TwinResponse | Promise<TwinResponse>

/**
 * A fault for the first `times` matching requests. `action` says what goes wrong:
 * - `respond` (default): answer `status`/`headers`/`body` instead of the service (after `delayMs`);
 * - `reset`: close the connection without handling the request;
 * - `drop`: handle the request (its effects happen), then close the connection without answering: a lost response;
 * - `end-stream`: handle it, and end a streamed answer (a watch) abruptly after `delayMs`;
 * - `hang`: never answer (the connection stays open until the client gives up or the twin closes);
 * - `delay`: handle it normally after `delayMs`.
 */
export interface Fault {
  method?: string
  /** A string matches any path containing it; both ignore case. */
  path: string | RegExp
  /** Only requests to this host (an API server's or a registry's name), compared without case. */
  host?: string
  /** Only requests whose query has these parameters with these values (`{ watch: '1' }`). */
  query?: Record<string, string>
  action?: 'respond' | 'reset' | 'drop' | 'end-stream' | 'hang' | 'delay'
  status?: number
  headers?: Record<string, string>
  body?: unknown
  /** How many matching requests get the fault (default 1). */
  times?: number
  delayMs?: number
}

export interface RequestRecord {
  time: string
  method: string
  host: string
  path: string
  query: Record<string, string>
  status: number
  tokenOid?: string
  via: Via
  fault?: true
  durationMs: number
}

interface Route {
  method?: string
  path: RegExp
  handler: Handler
}

export class Router {
  routes: Route[] = []

  on(method: string | undefined, path: RegExp, handler: Handler): this {
    this.routes.push({ method, path, handler })
    return this
  }

  /** First route whose path matches; a path match with the wrong method is still the route (405 is the caller's call). */
  find(req: TwinRequest): { route: Route; m: RegExpExecArray } | undefined {
    let fallback: { route: Route; m: RegExpExecArray } | undefined
    for (const route of this.routes) {
      const m = route.path.exec(req.path)
      if (!m) continue
      if (!route.method || route.method === req.method) return { route, m }
      fallback ??= { route, m }
    }
    return fallback && { route: { ...fallback.route, handler: () => ({ status: 405 }) }, m: fallback.m }
  }
}

export interface DispatcherOptions {
  /** Sends requests for a host to another router (registry data plane); undefined = the main router. */
  routerFor: (host: string) => Router
  notFound: (req: TwinRequest) => TwinResponse
  latency: () => number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

function parseQuery(search: URLSearchParams): Record<string, string> {
  const q: Record<string, string> = {}
  for (const [k, v] of search) q[k] = v
  return q
}

function decodePath(p: string): string {
  let d = p
  try {
    d = decodeURIComponent(p)
  } catch {
    /* keep raw: a bad escape is the client's problem, not a crash */
  }
  return d.replace(/\/{2,}/g, '/')
}

/** Routing, latency, fault injection and the request log: the part every service shares. */
export class Dispatcher {
  requests: RequestRecord[] = []
  faults: Array<Fault & { left: number }> = []
  proxiedSockets = new WeakSet<Socket>()
  /** Sockets tunnelled through a cluster's own network (command pods). */
  clusterSockets = new WeakSet<Socket>()
  opts: DispatcherOptions

  constructor(opts: DispatcherOptions) {
    this.opts = opts
  }

  inject(fault: Fault) {
    this.faults.push({ ...fault, left: fault.times ?? 1 })
  }

  clearFaults() {
    this.faults = []
  }

  private takeFault(method: string, host: string, path: string, query: Record<string, string>): Fault | undefined {
    const f = this.faults.find((x) => {
      if (x.left <= 0) return false
      if (x.method && x.method.toUpperCase() !== method) return false
      if (x.host && x.host.toLowerCase() !== host) return false
      if (x.query && Object.entries(x.query).some(([k, v]) => query[k] !== v)) return false
      return typeof x.path === 'string'
        ? path.toLowerCase().includes(x.path.toLowerCase())
        : new RegExp(x.path.source, x.path.flags.includes('i') ? x.path.flags : x.path.flags + 'i').test(path)
    })
    if (f) f.left--
    return f
  }

  private viaOf(socket: Socket): Via {
    const parent = (socket as unknown as { _parent?: Socket })._parent
    if (parent && this.clusterSockets.has(parent)) return 'cluster'
    return parent && this.proxiedSockets.has(parent) ? 'proxy' : 'direct'
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const treq = this.twinRequest(req, Buffer.concat(chunks))
    const { out, fault, action } = await this.answer(treq)
    this.record(treq, out?.status ?? 0, fault, started)
    if (!out) {
      // No answer: the connection is closed (reset, drop) or left open for ever (hang).
      if (action !== 'hang') req.socket.destroy()
      return
    }
    send(res, out)
    if (action === 'end-stream' && out.stream) {
      const cut = setTimeout(() => res.destroy(), fault!.delayMs ?? 0)
      res.once('close', () => clearTimeout(cut))
    }
  }

  /** An HTTP Upgrade request: routed, faulted and logged like any other; a 101 hands the socket over. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const started = Date.now()
    socket.on('error', () => socket.destroy())
    const treq = this.twinRequest(req, Buffer.alloc(0))
    const { out, fault, action } = await this.answer(treq)
    this.record(treq, out?.status ?? 0, fault, started)
    if (!out) {
      if (action !== 'hang') socket.destroy()
      return
    }
    if (out.status === 101 && out.upgrade) {
      const lines = Object.entries(out.headers ?? {})
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')
      socket.write(`HTTP/1.1 101 Switching Protocols\r\n${lines}\r\n`)
      out.upgrade(socket, head)
      return
    }
    sendRaw(socket, out)
  }

  private twinRequest(req: IncomingMessage, body: Buffer): TwinRequest {
    const hostHeader = req.headers.host ?? '127.0.0.1'
    // Concatenated, not resolved: the SDK's `/{scope}` template sends `//subscriptions/...`,
    // which URL resolution would read as a host.
    const url = new URL(`https://${hostHeader}${req.url ?? '/'}`)
    return {
      method: (req.method ?? 'GET').toUpperCase(),
      host: url.hostname.replace(/^\[|\]$/g, '').toLowerCase(),
      baseUrl: `https://${hostHeader}`,
      path: decodePath(url.pathname),
      query: parseQuery(url.searchParams),
      search: url.searchParams,
      headers: req.headers,
      body,
      via: this.viaOf(req.socket),
      note: {}
    }
  }

  /** Latency, then an injected fault or the route's answer; no answer at all for reset, drop and hang. */
  private async answer(treq: TwinRequest): Promise<{ out: TwinResponse | undefined; fault: Fault | undefined; action: Fault['action'] }> {
    const latency = this.opts.latency()
    if (latency > 0) await sleep(latency)

    const fault = this.takeFault(treq.method, treq.host, treq.path, treq.query)
    const action = fault ? (fault.action ?? 'respond') : undefined
    if (action === 'reset' || action === 'hang') return { out: undefined, fault, action }
    if (fault?.delayMs && action !== 'end-stream') await sleep(fault.delayMs)

    let out: TwinResponse
    if (action === 'respond') {
      out = { status: fault!.status ?? 500, headers: fault!.headers, body: fault!.body }
    } else {
      const hit = this.opts.routerFor(treq.host).find(treq)
      try {
        out = hit ? await hit.route.handler(treq, hit.m) : this.opts.notFound(treq)
      } catch (err) {
        out = { status: 500, body: { error: { code: 'InternalServerError', message: `twin: ${(err as Error).message}` } } }
      }
    }
    // A lost response: the request had its effect, the client hears nothing.
    if (action === 'drop') return { out: undefined, fault, action }
    return { out, fault, action }
  }

  private record(treq: TwinRequest, status: number, fault: Fault | undefined, started: number) {
    this.requests.push({
      time: new Date(started).toISOString(),
      method: treq.method,
      host: treq.host,
      path: treq.path,
      query: treq.query,
      status,
      ...(treq.note.tokenOid ? { tokenOid: treq.note.tokenOid } : {}),
      via: treq.via,
      ...(fault ? { fault: true as const } : {}),
      durationMs: Date.now() - started
    })
  }
}

function bodyOf(out: TwinResponse, headers: Record<string, string>): Buffer | undefined {
  if (out.body === undefined || out.body === null) return undefined
  const has = (h: string) => Object.keys(headers).some((k) => k.toLowerCase() === h)
  if (typeof out.body === 'string' || Buffer.isBuffer(out.body)) {
    if (!has('content-type')) headers['content-type'] = 'text/plain; charset=utf-8'
    return Buffer.from(out.body as string)
  }
  if (!has('content-type')) headers['content-type'] = 'application/json; charset=utf-8'
  return Buffer.from(JSON.stringify(out.body))
}

/** A refused upgrade: a plain HTTP answer written on the raw socket, then the connection ends. */
function sendRaw(socket: Duplex, out: TwinResponse) {
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...(out.headers ?? {}) }
  const body = bodyOf(out, headers)
  headers['content-length'] = String(body?.length ?? 0)
  headers.connection = 'close'
  const lines = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')
  socket.end(
    Buffer.concat([Buffer.from(`HTTP/1.1 ${out.status} ${STATUS_CODES[out.status] ?? ''}\r\n${lines}\r\n`), body ?? Buffer.alloc(0)])
  )
}

function send(res: ServerResponse, out: TwinResponse) {
  const headers: Record<string, string> = { 'x-ms-request-id': randomUUID(), ...(out.headers ?? {}) }
  if (out.stream) {
    // Chunked, flushed now: watch clients wait for the headers before anything else.
    res.writeHead(out.status, headers)
    res.flushHeaders()
    out.stream(res)
    return
  }
  const body = bodyOf(out, headers)
  headers['content-length'] = String(body?.length ?? 0)
  res.writeHead(out.status, headers)
  res.end(body)
}
