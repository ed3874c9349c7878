import { actionMatches } from '../roles.ts'

/**
 * Azure ABAC role-assignment conditions (condition version 2.0), as ACR's
 * repository permissions use them:
 *
 *   ((!(ActionMatches{'…/repositories/content/read'}) AND !(ActionMatches{'…/repositories/metadata/read'}))
 *    OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'team-a/'))
 *
 * A condition is evaluated per data action: actions it does not mention pass
 * the first clause, the ones it does must satisfy the attribute clause. A
 * condition the evaluator cannot read denies (Azure would have refused to save
 * it; failing closed keeps a typo from granting access).
 */
export interface ConditionContext {
  action: string
  /** Request attributes by name, e.g. `Microsoft.ContainerRegistry/registries/repositories:name`. */
  request: Record<string, string | undefined>
}

export const REPOSITORY_NAME = 'Microsoft.ContainerRegistry/registries/repositories:name'

type Token =
  | { t: 'op'; v: '(' | ')' | '!' | 'AND' | 'OR' }
  | { t: 'matches'; v: string[] }
  | { t: 'attr'; source: string; name: string }
  | { t: 'word'; v: string }
  | { t: 'str'; v: string }
  | { t: 'set'; v: string[] }

const strings = (body: string) => [...body.matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1].replace(/''/g, "'"))

function tokenize(src: string): Token[] {
  const out: Token[] = []
  let i = 0
  while (i < src.length) {
    const rest = src.slice(i)
    let m: RegExpExecArray | null
    if ((m = /^\s+/.exec(rest))) {
      i += m[0].length
      continue
    }
    if ((m = /^(?:ActionMatches|SubOperationMatches)\s*\{([^}]*)\}/i.exec(rest))) {
      if (/^SubOperation/i.test(m[0])) throw new Error('SubOperationMatches is not supported by ACR')
      out.push({ t: 'matches', v: strings(m[1]) })
    } else if ((m = /^@(Request|Resource|Principal|Environment)\[([^\]]+)\]/i.exec(rest))) {
      out.push({ t: 'attr', source: m[1].toLowerCase(), name: m[2] })
    } else if ((m = /^'((?:[^']|'')*)'/.exec(rest))) {
      out.push({ t: 'str', v: m[1].replace(/''/g, "'") })
    } else if ((m = /^\{([^}]*)\}/.exec(rest))) {
      out.push({ t: 'set', v: strings(m[1]) })
    } else if ((m = /^(?:&&|AND\b)/i.exec(rest))) {
      out.push({ t: 'op', v: 'AND' })
    } else if ((m = /^(?:\|\||OR\b)/i.exec(rest))) {
      out.push({ t: 'op', v: 'OR' })
    } else if ((m = /^(?:!|NOT\b)/i.exec(rest))) {
      out.push({ t: 'op', v: '!' })
    } else if ((m = /^[()]/.exec(rest))) {
      out.push({ t: 'op', v: m[0] as '(' | ')' })
    } else if ((m = /^[A-Za-z][A-Za-z:]*/.exec(rest))) {
      out.push({ t: 'word', v: m[0] })
    } else {
      throw new Error(`unexpected '${rest.slice(0, 12)}'`)
    }
    i += m[0].length
  }
  return out
}

function compare(op: string, actual: string | undefined, expected: string[]): boolean {
  const o = op.toLowerCase()
  const any = o.startsWith('foranyofanyvalues:')
  const base = o.replace(/^for(anyofany|allofany|anyofall|allofall)values:/, '')
  if (/^for/.test(base)) throw new Error(`operator ${op} is not supported`)
  if (!any && expected.length !== 1) throw new Error(`operator ${op} takes one value`)
  const ci = base.endsWith('ignorecase')
  const core = base.replace(/ignorecase$/, '')
  const negate = core.includes('not')
  if (actual === undefined) return negate
  const a = ci ? actual.toLowerCase() : actual
  const test = (e: string) => {
    const x = ci ? e.toLowerCase() : e
    switch (core.replace('not', '')) {
      case 'stringequals':
        return a === x
      case 'stringstartswith':
        return a.startsWith(x)
      case 'stringlike':
        return new RegExp(
          '^' +
            x
              .split('*')
              .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
              .join('.*') +
            '$',
          's'
        ).test(a)
      default:
        throw new Error(`operator ${op} is not supported`)
    }
  }
  const hit = expected.some(test)
  return negate ? !hit : hit
}

/** Evaluates one condition; throws (with a reason) on text it cannot read. */
export function evaluateCondition(condition: string, ctx: ConditionContext): boolean {
  const toks = tokenize(condition)
  let pos = 0
  const peek = () => toks[pos]
  const isOp = (v: string) => {
    const t = peek()
    return !!t && t.t === 'op' && t.v === v
  }

  const primary = (): boolean => {
    const t = toks[pos++]
    if (!t) throw new Error('unexpected end of condition')
    if (t.t === 'op' && t.v === '!') return !primary()
    if (t.t === 'op' && t.v === '(') {
      const v = or()
      if (!isOp(')')) throw new Error("missing ')'")
      pos++
      return v
    }
    if (t.t === 'matches') return t.v.some((p) => actionMatches(p, ctx.action))
    if (t.t === 'attr') {
      const op = toks[pos++]
      const val = toks[pos++]
      if (!op || op.t !== 'word') throw new Error(`expected an operator after @${t.source}[${t.name}]`)
      if (!val || (val.t !== 'str' && val.t !== 'set')) throw new Error(`expected a value after ${op.v}`)
      const actual =
        t.source === 'request' ? Object.entries(ctx.request).find(([k]) => k.toLowerCase() === t.name.toLowerCase())?.[1] : undefined
      return compare(op.v, actual, val.t === 'str' ? [val.v] : val.v)
    }
    throw new Error(`unexpected token ${JSON.stringify(t)}`)
  }
  const and = (): boolean => {
    let v = primary()
    while (isOp('AND')) {
      pos++
      const r = primary()
      v = v && r
    }
    return v
  }
  const or = (): boolean => {
    let v = and()
    while (isOp('OR')) {
      pos++
      const r = and()
      v = v || r
    }
    return v
  }
  const result = or()
  if (pos !== toks.length) throw new Error('trailing text after condition')
  return result
}

/** The condition ACR's portal writes for "these repositories only" (StringEqualsIgnoreCase / StringStartsWithIgnoreCase, OR-ed). */
export function repositoryCondition(
  allow: Array<{ equals?: string; startsWith?: string }>,
  actions = [
    'Microsoft.ContainerRegistry/registries/repositories/content/read',
    'Microsoft.ContainerRegistry/registries/repositories/metadata/read'
  ]
): string {
  const notActions = actions.map((a) => `!(ActionMatches{'${a}'})`).join(' AND ')
  const tests = allow
    .map((x) =>
      x.equals !== undefined
        ? `@Request[${REPOSITORY_NAME}] StringEqualsIgnoreCase '${x.equals}'`
        : `@Request[${REPOSITORY_NAME}] StringStartsWithIgnoreCase '${x.startsWith}'`
    )
    .join(' OR ')
  return `((${notActions}) OR (${tests}))`
}
