/**
 * Label and field selectors as the API server parses them. kubectl's
 * `rollout status` and `wait` watch with `fieldSelector=metadata.name=<n>`;
 * `describe` lists events with `involvedObject.name=...`; controllers select
 * pods by label.
 */
import type { KObj } from './store.ts'

export type Matcher = (o: KObj) => boolean

interface Req {
  key: string
  op: '=' | '!=' | 'in' | 'notin' | 'exists' | '!'
  values: string[]
}

function splitTop(s: string): string[] {
  const out: string[] = []
  let depth = 0,
    cur = ''
  for (const ch of s) {
    if (ch === '(') depth++
    if (ch === ')') depth--
    if (ch === ',' && depth === 0) {
      out.push(cur)
      cur = ''
    } else cur += ch
  }
  if (cur.trim()) out.push(cur)
  return out.map((x) => x.trim()).filter(Boolean)
}

export function parseLabelSelector(s: string | undefined): Matcher | { error: string } {
  if (!s) return () => true
  const reqs: Req[] = []
  for (const part of splitTop(s)) {
    let m: RegExpExecArray | null
    if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(part))) {
      reqs.push({
        key: m[1],
        op: m[2] as 'in' | 'notin',
        values: m[3]
          .split(',')
          .map((x) => x.trim())
          .filter(Boolean)
      })
    } else if ((m = /^([\w./-]+)\s*(!=|==|=)\s*([\w.-]*)$/.exec(part))) {
      reqs.push({ key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] })
    } else if ((m = /^!\s*([\w./-]+)$/.exec(part))) {
      reqs.push({ key: m[1], op: '!', values: [] })
    } else if ((m = /^([\w./-]+)$/.exec(part))) {
      reqs.push({ key: m[1], op: 'exists', values: [] })
    } else {
      return { error: `unable to parse requirement: found '${part}', expected: identifier` }
    }
  }
  return (o: KObj) => {
    const labels: Record<string, string> = o.metadata?.labels ?? {}
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key)
      const v = labels[r.key]
      switch (r.op) {
        case '=':
          return has && v === r.values[0]
        case '!=':
          return !has || v !== r.values[0]
        case 'in':
          return has && r.values.includes(v)
        case 'notin':
          return !has || !r.values.includes(v)
        case 'exists':
          return has
        case '!':
          return !has
      }
    })
  }
}

/** A LabelSelector object (matchLabels/matchExpressions) as a matcher. */
export function selectorObjectMatcher(
  sel: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } | undefined
): Matcher {
  if (!sel) return () => false
  return (o) => {
    const labels: Record<string, string> = o.metadata?.labels ?? {}
    const okLabels = Object.entries(sel.matchLabels ?? {}).every(([k, v]) => labels[k] === v)
    const okExpr = (sel.matchExpressions ?? []).every((e) => {
      const has = e.key in labels
      switch (e.operator) {
        case 'In':
          return has && (e.values ?? []).includes(labels[e.key])
        case 'NotIn':
          return !has || !(e.values ?? []).includes(labels[e.key])
        case 'Exists':
          return has
        case 'DoesNotExist':
          return !has
        default:
          return false
      }
    })
    return okLabels && okExpr
  }
}

const getPath = (o: KObj, path: string): unknown => path.split('.').reduce<any>((x, k) => (x == null ? undefined : x[k]), o)

export function parseFieldSelector(s: string | undefined): Matcher | { error: string } {
  if (!s) return () => true
  const reqs: Array<{ path: string; neg: boolean; value: string }> = []
  for (const part of s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const m = /^([\w.]+)\s*(!=|==|=)\s*(.*)$/.exec(part)
    if (!m) return { error: `invalid selector: '${s}'; can't understand '${part}'` }
    reqs.push({ path: m[1], neg: m[2] === '!=', value: m[3] })
  }
  return (o) =>
    reqs.every((r) => {
      const v = getPath(o, r.path)
      const sv = v === undefined || v === null ? '' : String(v)
      return r.neg ? sv !== r.value : sv === r.value
    })
}
