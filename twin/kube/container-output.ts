/**
 * What containers wrote, per cluster: the kubelet appends a program's output and ends the stream
 * when the container exits; `pods/log` reads it whole, `pods/attach` follows it from the moment
 * it attaches (as containerd's attach does: earlier output is only in the log).
 */
import type { KubeCluster } from './cluster.ts'

interface Output {
  text: string
  ended: boolean
  listeners: Set<{ data: (chunk: string) => void; end: () => void }>
}

const outputs = new WeakMap<KubeCluster, Map<string, Output>>()

function outputOf(k: KubeCluster, podUid: string, container: string): Output {
  let byKey = outputs.get(k)
  if (!byKey) outputs.set(k, (byKey = new Map()))
  const key = `${podUid}/${container}`
  let o = byKey.get(key)
  if (!o) byKey.set(key, (o = { text: '', ended: false, listeners: new Set() }))
  return o
}

export function appendOutput(k: KubeCluster, podUid: string, container: string, chunk: string) {
  const o = outputOf(k, podUid, container)
  o.text += chunk
  for (const l of o.listeners) l.data(chunk)
}

/** The container exited (or its pod went): followers get their end. */
export function endOutput(k: KubeCluster, podUid: string, container: string) {
  const o = outputOf(k, podUid, container)
  if (o.ended) return
  o.ended = true
  for (const l of [...o.listeners]) l.end()
  o.listeners.clear()
}

export const readOutput = (k: KubeCluster, podUid: string, container: string) => outputOf(k, podUid, container).text

/** Calls `data` for each later chunk and `end` once the container is done; returns the unsubscribe. */
export function followOutput(
  k: KubeCluster,
  podUid: string,
  container: string,
  data: (chunk: string) => void,
  end: () => void
): () => void {
  const o = outputOf(k, podUid, container)
  if (o.ended) {
    end()
    return () => {}
  }
  const listener = { data, end }
  o.listeners.add(listener)
  return () => o.listeners.delete(listener)
}
