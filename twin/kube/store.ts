/**
 * One cluster's object storage: a single resourceVersion counter (etcd's
 * revision), the objects, and a bounded history of changes that watches
 * replay from. Older versions than the history holds are "compacted": a watch
 * from one answers 410 Expired, as a real server does after etcd compaction.
 */
import type { ResourceDef } from './resources.ts'

// Objects are free-form JSON; handlers read them by path.
export type KObj = Record<string, any>

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface StoreEvent {
  type: EventType
  rv: number
  res: ResourceDef
  obj: KObj
  /** The object before the change (MODIFIED/DELETED): selector-filtered watches need it. */
  prev?: KObj
}

const keyOf = (r: ResourceDef, ns: string | undefined, name: string) => `${r.group}/${r.plural}/${r.namespaced ? (ns ?? '') : ''}/${name}`

export class Store {
  /** Real clusters are never at revision 1; a realistic start catches clients that treat RVs as small. */
  rv = 41_000
  objects = new Map<string, KObj>()
  history: StoreEvent[] = []
  /** Versions at or below this are gone from history. */
  compactedThrough = 41_000
  maxHistory = 5000
  private listeners = new Set<(e: StoreEvent) => void>()

  onChange(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn)
    return () => this.listeners.delete(fn)
  }

  get(r: ResourceDef, ns: string | undefined, name: string): KObj | undefined {
    return this.objects.get(keyOf(r, ns, name))
  }

  list(r: ResourceDef, ns?: string): KObj[] {
    const prefix = `${r.group}/${r.plural}/${r.namespaced && ns ? ns + '/' : ''}`
    const out: KObj[] = []
    for (const [k, v] of this.objects) if (k.startsWith(prefix)) out.push(v)
    return out.sort((a, b) => {
      const na = `${a.metadata.namespace ?? ''}/${a.metadata.name}`,
        nb = `${b.metadata.namespace ?? ''}/${b.metadata.name}`
      return na < nb ? -1 : na > nb ? 1 : 0
    })
  }

  /** Stores a new version (assigns resourceVersion) and tells watchers and controllers. */
  write(r: ResourceDef, obj: KObj): KObj {
    const key = keyOf(r, obj.metadata.namespace, obj.metadata.name)
    const prev = this.objects.get(key)
    this.rv++
    obj.metadata.resourceVersion = String(this.rv)
    this.objects.set(key, obj)
    this.emit({ type: prev ? 'MODIFIED' : 'ADDED', rv: this.rv, res: r, obj, prev })
    return obj
  }

  remove(r: ResourceDef, ns: string | undefined, name: string): KObj | undefined {
    const key = keyOf(r, ns, name)
    const prev = this.objects.get(key)
    if (!prev) return undefined
    this.objects.delete(key)
    this.rv++
    // A deleted object's last state carries the deletion's resourceVersion, as in etcd3 watch.
    const obj = structuredClone(prev)
    obj.metadata.resourceVersion = String(this.rv)
    this.emit({ type: 'DELETED', rv: this.rv, res: r, obj, prev })
    return obj
  }

  private emit(e: StoreEvent) {
    this.history.push(e)
    if (this.history.length > this.maxHistory) {
      const dropped = this.history.splice(0, this.history.length - this.maxHistory)
      this.compactedThrough = dropped.at(-1)!.rv
    }
    for (const fn of [...this.listeners]) fn(e)
  }

  /** Forget history: any watch from a version before now gets 410 Expired. */
  compact() {
    this.history = []
    this.compactedThrough = this.rv
  }

  /** Changes after `rv` for a resource, or 'expired' when `rv` predates the retained window. */
  since(rv: number, r: ResourceDef): StoreEvent[] | 'expired' {
    if (rv < this.compactedThrough) return 'expired'
    return this.history.filter((e) => e.rv > rv && e.res === r)
  }
}
