/**
 * `…/pods/{name}/attach` over WebSocket, the way kubectl 1.32 attaches (`kubectl run -it`,
 * `kubectl attach`): subprotocol `v5.channel.k8s.io` (or v4, or the original channel.k8s.io),
 * binary messages whose first byte is the stream (0 stdin, 1 stdout, 2 stderr, 3 error, 4
 * resize, 255 close in v5). The twin forwards what the container writes from now on to stdout,
 * then, when the container exits, the kubelet's success Status on the error stream and a
 * normal close: attach does not carry the exit code, kubectl reads it from the pod. Stdin is
 * read and dropped (no program the twin plays reads it). A request that is not a WebSocket
 * upgrade is refused as the API server refuses it; kubectl falls back to SPDY only when the
 * upgrade itself fails, which it does not here.
 */
import type { Duplex } from 'node:stream'
import type { TwinRequest, TwinResponse } from '../http.ts'
import type { KubeCluster } from './cluster.ts'
import type { KObj } from './store.ts'
import { containerOf, notStarted } from './pod-container.ts'
import { badRequest } from './status.ts'
import type { KubeError } from './status.ts'
import { followOutput } from './container-output.ts'
import { acceptKey, WebSocketServerConnection } from './websocket.ts'

const PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io', 'channel.k8s.io']
const STDOUT = 1
const ERROR = 3

export function podAttach(req: TwinRequest, k: KubeCluster, pod: KObj): TwinResponse | KubeError {
  const container = containerOf(pod, req.query.container)
  if ('body' in container) return container
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  const key = req.headers['sec-websocket-key']
  if (upgrade !== 'websocket' || typeof key !== 'string') return badRequest('Upgrade request required')
  const offered = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
  const protocol = PROTOCOLS.find((p) => offered.includes(p))
  if (!protocol)
    return badRequest(
      `unable to upgrade: unable to negotiate protocol: client supports ${JSON.stringify(offered)}, server supports ${JSON.stringify(PROTOCOLS)}`
    )
  const waiting = notStarted(pod, container.name)
  if (waiting) return waiting
  const status = (pod.status?.containerStatuses ?? []).find((s: KObj) => s.name === container.name)
  if (status?.state?.terminated) return badRequest(`cannot attach to a container that has terminated: ${container.name}`)

  return {
    status: 101,
    headers: { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Accept': acceptKey(key), 'Sec-WebSocket-Protocol': protocol },
    upgrade: (socket: Duplex, head: Buffer) => {
      const ws = new WebSocketServerConnection(socket, head)
      const channel = (stream: number, data: Buffer | string) => ws.send(Buffer.concat([Buffer.from([stream]), Buffer.from(data)]))
      const stop = followOutput(
        k,
        pod.metadata.uid,
        container.name,
        (chunk) => channel(STDOUT, chunk),
        () => {
          channel(ERROR, JSON.stringify({ metadata: {}, status: 'Success' }))
          ws.close()
        }
      )
      ws.onClose = stop
    }
  }
}
