/**
 * `GET …/pods/{name}/log`: what the container wrote (only programs the twin plays write
 * anything), as text/plain; `follow=true` streams until the container exits, `tailLines` and
 * `limitBytes` cut as the kubelet does. What kubectl run falls back to when attaching fails,
 * and what it reads for a pod that finished before it could attach.
 */
import type { ServerResponse } from 'node:http'
import type { TwinRequest, TwinResponse } from '../http.ts'
import type { KubeCluster } from './cluster.ts'
import type { KObj } from './store.ts'
import { containerOf, notStarted } from './pod-container.ts'
import type { KubeError } from './status.ts'
import { followOutput, readOutput } from './container-output.ts'

const TEXT = { 'content-type': 'text/plain' }

function cut(text: string, tailLines: number | undefined, limitBytes: number | undefined): string {
  let out = text
  if (tailLines !== undefined && tailLines >= 0) {
    const lines = out.split(/(?<=\n)/)
    out = lines.slice(Math.max(0, lines.length - tailLines)).join('')
  }
  if (limitBytes !== undefined && limitBytes > 0) out = Buffer.from(out).subarray(0, limitBytes).toString('utf8')
  return out
}

export function podLog(req: TwinRequest, k: KubeCluster, pod: KObj): TwinResponse | KubeError {
  const container = containerOf(pod, req.query.container)
  if ('body' in container) return container
  const waiting = notStarted(pod, container.name)
  if (waiting) return waiting
  const num = (v: string | undefined) => (v === undefined || v === '' ? undefined : Number(v))
  const text = cut(readOutput(k, pod.metadata.uid, container.name), num(req.query.tailLines), num(req.query.limitBytes))
  if (!/^(1|true)$/.test(req.query.follow ?? '')) return { status: 200, headers: TEXT, body: text }
  return {
    status: 200,
    headers: TEXT,
    stream: (res: ServerResponse) => {
      res.write(text)
      const stop = followOutput(
        k,
        pod.metadata.uid,
        container.name,
        (chunk) => res.write(chunk),
        () => res.end()
      )
      res.on('close', stop)
    }
  }
}
