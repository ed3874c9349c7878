import http from 'node:http'
import type { Server } from 'node:https'
import type { Socket } from 'node:net'

/**
 * One CONNECT: `allowed` is true when a tunnel was opened; a kube host the network cannot reach
 * (`reach`: a private name that does not resolve, packets dropped by authorized IP ranges) opens none.
 */
export interface ProxyLogEntry {
  time: string
  target: string
  allowed: boolean
  reach?: Exclude<KubeReach, 'open'>
}

/** Hosts a runner may reach for registries; anything else through the proxy is a leak. */
const REGISTRY_HOSTS = [
  /^[a-z0-9-]+\.azurecr\.io$/,
  /^[a-z0-9-]+\.azurecr\.cn$/,
  /^[a-z0-9-]+\.azurecr\.us$/,
  /^registry-1\.docker\.io$/,
  /^auth\.docker\.io$/,
  /^docker\.io$/,
  /^index\.docker\.io$/,
  /^mcr\.microsoft\.com$/,
  /^[a-z0-9-]+\.data\.mcr\.microsoft\.com$/,
  /^quay\.io$/
]

export const isRegistryHost = (host: string) => REGISTRY_HOSTS.some((re) => re.test(host.toLowerCase()))

/** AKS API servers (`<dnsprefix>-<hash>.hcp.<region>.azmk8s.io`, private ones `….privatelink.<region>.azmk8s.io`), served by the twin's kube API. */
export const isKubeHost = (host: string) => /^[a-z0-9-]+\.(hcp|privatelink)\.[a-z0-9]+\.azmk8s\.io$/.test(host.toLowerCase())

/**
 * What the runner's network does with a connection to an API server: a private cluster's name
 * does not resolve outside its network (a proxy answers 502; without one the runner gets
 * ENOTFOUND); authorized IP ranges drop the runner's packets (nothing ever answers).
 */
export type KubeReach = 'open' | 'unresolvable' | 'dropped'

export function parseTarget(target: string): { host: string; port: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target)
  return m ? { host: m[1].toLowerCase(), port: Number(m[2]) } : undefined
}

export interface ProxyDeps {
  https: Server
  twinPort: () => number
  markProxied: (socket: Socket) => void
  log: ProxyLogEntry[]
  /** How an API server host is reached from the runner (all open when not given). */
  kubeReach?: (host: string) => KubeReach
}

/**
 * A CONNECT proxy that never dials out: allowed tunnels are handed to the
 * twin's own HTTPS server in-process, so "the internet" is the twin and no
 * connection can leave loopback whatever the client asks for.
 */
export function createProxy(deps: ProxyDeps): http.Server {
  const server = http.createServer((req, res) => {
    deps.log.push({ time: new Date().toISOString(), target: req.url ?? '', allowed: false })
    res.writeHead(403, { 'content-type': 'text/plain' })
    res.end('Forbidden: this proxy only tunnels CONNECT to allowed hosts\n')
  })
  server.on('connect', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const target = req.url ?? ''
    const t = parseTarget(target)
    const own = t && (t.host === '127.0.0.1' || t.host === 'localhost') && t.port === deps.twinPort()
    const allowed = !!t && (own || (t.port === 443 && (isRegistryHost(t.host) || isKubeHost(t.host))))
    const reach = allowed && t && isKubeHost(t.host) ? (deps.kubeReach?.(t.host) ?? 'open') : 'open'
    deps.log.push({ time: new Date().toISOString(), target, allowed: allowed && reach === 'open', ...(reach !== 'open' ? { reach } : {}) })
    socket.on('error', () => socket.destroy())
    if (reach === 'unresolvable') {
      const body = `Unable to resolve ${t!.host}\n`
      socket.end(
        `HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`
      )
      return
    }
    if (reach === 'dropped') return
    if (!allowed) {
      socket.end('HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n\r\nForbidden\n')
      return
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n')
    if (head.length) socket.unshift(head)
    deps.markProxied(socket)
    deps.https.emit('connection', socket)
  })
  return server
}
