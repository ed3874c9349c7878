/**
 * A cluster's own network, as a pod in it sees it: the API server of its own
 * cluster answers whether the cluster is private or restricts its API server
 * to authorized IP ranges (the pod is inside the VNet, and AKS lets its own
 * nodes through), while other clusters look the way they look from any outside
 * network. Built from the same CONNECT proxy as the runner's network, on a port
 * of its own for as long as a command pod runs, so traffic stays on loopback
 * and the twin's request log can tell the pod's requests (`via: 'cluster'`)
 * from the runner's.
 */
import http from 'node:http'
import type { Server } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import { createProxy } from './proxy.ts'
import type { KubeReach, ProxyLogEntry } from './proxy.ts'
import type { Cluster, TwinState } from './state.ts'

export interface ClusterNetworkDeps {
  https: Server
  twinPort: () => number
  /** Marks a tunnelled socket so the request log records `via: 'cluster'`. */
  markInCluster: (socket: Socket) => void
  state: TwinState
}

export interface ClusterNetwork {
  /** `http://127.0.0.1:PORT`: the pod's HTTPS_PROXY. */
  url: string
  log: ProxyLogEntry[]
  close(): Promise<void>
}

export type OpenClusterNetwork = (cluster: Cluster) => Promise<ClusterNetwork>

/** How a host is reached from inside `from`'s network. */
export function reachFrom(from: Cluster, target: Cluster | undefined): KubeReach {
  if (!target || target === from) return 'open'
  if (target.privateCluster) return 'unresolvable'
  return target.authorizedIpRanges.length > 0 ? 'dropped' : 'open'
}

export function clusterNetworks(deps: ClusterNetworkDeps): OpenClusterNetwork {
  return async (cluster) => {
    const log: ProxyLogEntry[] = []
    const proxy: http.Server = createProxy({
      https: deps.https,
      twinPort: deps.twinPort,
      markProxied: deps.markInCluster,
      log,
      kubeReach: (host) => reachFrom(cluster, deps.state.clusterByFqdn(host))
    })
    const sockets = new Set<Socket>()
    proxy.on('connection', (s: Socket) => {
      sockets.add(s)
      s.once('close', () => sockets.delete(s))
    })
    const port = await new Promise<number>((resolve, reject) => {
      proxy.once('error', reject)
      proxy.listen(0, '127.0.0.1', () => resolve((proxy.address() as AddressInfo).port))
    })
    let closed: Promise<void> | undefined
    return {
      url: `http://127.0.0.1:${port}`,
      log,
      close: () =>
        (closed ??= new Promise<void>((resolve) => {
          proxy.close(() => resolve())
          proxy.closeAllConnections()
          // Tunnelled sockets leave the server's own tracking (see index.ts close()).
          for (const s of sockets) s.destroy()
        }))
    }
  }
}
