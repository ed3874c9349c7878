import { ActionError } from '../errors.js'
import { pause } from '../net/pause.js'
import type { KubeClient, KubeStatus, WatchEvent } from './kube-client.js'

type Listed = { metadata?: { resourceVersion?: string }; items?: Array<Record<string, any>> }

/**
 * Keeps `onObject` fed with every change to a collection: list, then watch from the list's
 * resourceVersion; a 410 (the version expired) means list again; a closed stream means watch again
 * from the last version seen. Ends when `signal` aborts.
 */
export async function listAndWatch(
  client: KubeClient,
  collection: string,
  query: Record<string, string | undefined>,
  onObject: (type: WatchEvent['type'], object: Record<string, any>) => void,
  signal: AbortSignal
): Promise<void> {
  let resourceVersion: string | undefined
  while (!signal.aborted) {
    if (resourceVersion === undefined) {
      const listed = await client.request<Listed>('GET', collection, { query, signal })
      if (listed.status !== 200) throw refused('listing', collection, listed.status, listed.body as KubeStatus)
      for (const item of listed.body.items ?? []) onObject('ADDED', item)
      resourceVersion = listed.body.metadata?.resourceVersion
    }
    let expired = false
    let events = 0
    const opened = Date.now()
    const ended = await client.watch(
      collection,
      { ...query, resourceVersion },
      (event) => {
        events++
        if (event.type === 'ERROR') {
          const status = event.object as KubeStatus
          if (status.code === 410) expired = true
          else throw refused('watching', collection, status.code, status)
          return
        }
        const version = (event.object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion
        if (version) resourceVersion = version
        if (event.type !== 'BOOKMARK') onObject(event.type, event.object)
      },
      signal
    )
    if (ended === 'aborted') return
    if (expired) resourceVersion = undefined
    // A stream that ends as soon as it opens, again and again, would spin: pause before the next.
    else if (events === 0 && Date.now() - opened < REWATCH_PAUSE_MS) await pause(REWATCH_PAUSE_MS, signal)
  }
}

const REWATCH_PAUSE_MS = 1000

/** The API server's refusal with its reason kept (Forbidden, Unauthorized, ...). */
function refused(verb: string, collection: string, status: number | undefined, body: KubeStatus | undefined): ActionError {
  const detail = typeof body === 'object' && body ? (body.message ?? JSON.stringify(body)) : String(body ?? '')
  return new ActionError(`${verb} ${collection} failed`, { code: body?.reason ?? `HTTP ${status}`, detail })
}
