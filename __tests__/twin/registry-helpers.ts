import http from 'node:http'
import https from 'node:https'
import tls from 'node:tls'
import { createHash } from 'node:crypto'
import type { Twin } from '../../twin/index.ts'

export interface Fetched {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  text: string
  json<T = any>(): T
}

/**
 * A request through the twin's CONNECT proxy, as a runner's client would make
 * it with HTTPS_PROXY: CONNECT host:443, then TLS (trusting the twin's CA via
 * trustTwinCa) and HTTP inside the tunnel. Node's fetch reads proxy settings
 * only at start-up, so the tests do it by hand.
 */
export function viaProxy(
  twin: Twin,
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {}
): Promise<Fetched> {
  const u = new URL(url)
  const proxy = new URL(twin.proxyUrl)
  return new Promise((resolve, reject) => {
    const connect = http.request({ host: proxy.hostname, port: proxy.port, method: 'CONNECT', path: `${u.hostname}:443` })
    connect.on('error', reject)
    connect.on('connect', (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy()
        reject(new Error(`CONNECT ${u.hostname} answered ${res.statusCode}`))
        return
      }
      const req = https.request(
        {
          host: u.hostname,
          path: u.pathname + u.search,
          method: init.method ?? 'GET',
          headers: { ...(init.body ? { 'content-length': String(Buffer.byteLength(init.body)) } : {}), ...init.headers },
          // No agent: the request runs on this one TLS socket inside the tunnel.
          createConnection: () => tls.connect({ socket, servername: u.hostname })
        },
        (r) => {
          const chunks: Buffer[] = []
          r.on('data', (c) => chunks.push(c))
          r.on('end', () => {
            socket.destroy()
            const body = Buffer.concat(chunks)
            const text = body.toString('utf8')
            resolve({ status: r.statusCode ?? 0, headers: r.headers, body, text, json: () => JSON.parse(text) })
          })
        }
      )
      req.on('error', reject)
      req.end(init.body)
    })
    connect.end()
  })
}

export const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex')

/** `Bearer realm="…",service="…",scope="…"` → its parameters. */
export function challengeOf(header: string | string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {}
  for (const m of String(header ?? '').matchAll(/(\w+)="([^"]*)"/g)) out[m[1]] = m[2]
  return out
}

export const form = (o: Record<string, string | string[]>) => {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(o)) for (const x of Array.isArray(v) ? v : [v]) p.append(k, x)
  return p.toString()
}

export const FORM = { 'content-type': 'application/x-www-form-urlencoded' }

/** The payload of a JWT, unverified: what a client can read of a registry token. */
export const jwtPayload = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'))
