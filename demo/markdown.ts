// Renders the job summary (GitHub-flavoured Markdown, as the action writes it to
// GITHUB_STEP_SUMMARY) for a terminal. It covers what job summaries use: headings, emphasis, code
// spans, links, GFM tables with inline `<br>`, <details>/<summary>, lists, quotes, rules and fenced
// code. It is not a general Markdown engine: anything else passes through as text, which is still
// readable.
import { displayWidth, padEnd, wrap, type Style } from './terminal.ts'

export interface MarkdownOptions {
  style: Style
  width: number
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', '#39': "'" }
const decodeEntities = (s: string) =>
  s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+\d*);/gi, (whole, name: string) => {
    if (name.startsWith('#x') || name.startsWith('#X')) return String.fromCodePoint(parseInt(name.slice(2), 16))
    if (name.startsWith('#') && name !== '#39') return String.fromCodePoint(Number(name.slice(1)))
    return ENTITIES[name.toLowerCase()] ?? whole
  })

/**
 * Inline Markdown to styled text. `inTable` drops link targets (portal URLs would make every column
 * unreadably wide; on a terminal that supports it the text stays clickable), elsewhere a link
 * reads `text (url)`. `<br>` becomes a real line break.
 */
export function renderInline(text: string, style: Style, inTable = false): string {
  // Code spans first, into placeholders, so nothing inside them is read as Markdown.
  const codes: string[] = []
  let s = text.replace(/(`+)([\s\S]*?[^`])\1(?!`)/g, (_, __, code: string) => {
    codes.push(style.cyan(code.trim() === '' ? code : code.replace(/^ (.*) $/, '$1')))
    return `\u0000${codes.length - 1}\u0000`
  })
  s = s.replace(/<br\s*\/?>/gi, '\n')
  s = s.replace(/<code>([\s\S]*?)<\/code>/gi, (_, code: string) => {
    codes.push(style.cyan(decodeEntities(code)))
    return `\u0000${codes.length - 1}\u0000`
  })
  s = s.replace(/!\[([^\]]*)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_, alt: string) => alt)
  s = s.replace(/\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g, (_, label: string, url: string) => {
    const shown = style.link(style.blue(label), url)
    return inTable || label === url ? shown : `${shown} ${style.dim(`(${url})`)}`
  })
  s = s.replace(/<(https?:\/\/[^>\s]+)>/g, (_, url: string) => style.link(style.blue(url), url))
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*|__(?=\S)([\s\S]*?\S)__/g, (_, a?: string, b?: string) => style.bold((a ?? b)!))
  s = s.replace(/<(b|strong)>([\s\S]*?)<\/\1>/gi, (_, __, inner: string) => style.bold(inner))
  // Single `_` only at word edges, so identifiers like kubelet_identity stay as they are.
  s = s.replace(
    /(^|[^\w*])\*(?=\S)([^*]*?\S)\*(?!\w)|(^|\W)_(?=\S)([^_]*?\S)_(?!\w)/g,
    (_, p1?: string, a?: string, p2?: string, b?: string) => `${p1 ?? p2 ?? ''}${style.italic((a ?? b)!)}`
  )
  s = s.replace(/<(i|em)>([\s\S]*?)<\/\1>/gi, (_, __, inner: string) => style.italic(inner))
  s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, (_, inner: string) => style.dim(inner))
  s = s.replace(/<\/?(sub|sup|span|kbd|samp|ins|small)(\s[^>]*)?>/gi, '')
  s = s.replace(/\\([\\`*_{}[\]()#+\-.!|<>~])/g, '$1')
  s = decodeEntities(s)
  return s.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)]!)
}

type Align = 'left' | 'right' | 'center'

/** Splits a table row on `|`, except escaped `\|`. */
function cellsOf(row: string): string[] {
  const trimmed = row.trim().replace(/^\|/, '').replace(/\|$/, '')
  const cells: string[] = []
  let current = ''
  for (let i = 0; i < trimmed.length; i++) {
    if (trimmed[i] === '\\' && trimmed[i + 1] === '|') {
      current += '|'
      i++
    } else if (trimmed[i] === '|') {
      cells.push(current.trim())
      current = ''
    } else current += trimmed[i]
  }
  cells.push(current.trim())
  return cells
}

const isSeparatorRow = (line: string) => /^\s*\|?\s*:?-{1,}:?\s*(\|\s*:?-{1,}:?\s*)*\|?\s*$/.test(line)

/**
 * A GFM table with aligned columns. Columns share the width: when the table is too wide, the widest
 * column gives up space first and its cells wrap. A table whose header cells are all empty (the
 * action's key/value tables) is printed without a header, its first column as labels.
 */
export function renderTable(header: string[], aligns: Align[], rows: string[][], options: MarkdownOptions, indent = ''): string[] {
  const { style } = options
  const columns = Math.max(header.length, ...rows.map((r) => r.length))
  const keyValue = header.every((h) => h.trim() === '')
  const render = (cells: string[]) => Array.from({ length: columns }, (_, i) => renderInline(cells[i] ?? '', style, true).split('\n'))
  const head = render(header).map((lines) => lines.map((l) => style.bold(l)))
  const body = rows.map((row) => render(row).map((lines, i) => (keyValue && i === 0 ? lines.map((l) => style.bold(l)) : lines)))
  const all = keyValue ? body : [head, ...body]

  const gap = '  '
  const cellWidths = (i: number, measure: (l: string) => number) => Math.max(1, ...all.map((r) => Math.max(...r[i]!.map(measure))))
  const natural = Array.from({ length: columns }, (_, i) => cellWidths(i, displayWidth))
  // The narrowest a column should get: its longest word (so words are not cut), within reason.
  const longestWord = (l: string) => Math.max(0, ...l.split(/\s+/).map(displayWidth))
  const least = Array.from({ length: columns }, (_, i) => Math.min(natural[i]!, Math.max(8, Math.min(30, cellWidths(i, longestWord)))))
  const widths = [...natural]
  const available = options.width - indent.length - gap.length * (columns - 1)
  while (widths.reduce((a, b) => a + b, 0) > available) {
    // Take from the column with the most room above its least width; once none has any, the widest.
    const slack = widths.map((w, i) => w - least[i]!)
    let pick = slack.indexOf(Math.max(...slack))
    if (slack[pick]! <= 0) pick = widths.indexOf(Math.max(...widths))
    if (widths[pick]! <= 8) break
    widths[pick]!--
  }

  const line = (row: string[][]) => {
    const wrapped = row.map((cell, i) => cell.flatMap((l) => wrap(l, widths[i]!)))
    const height = Math.max(...wrapped.map((c) => c.length))
    const out: string[] = []
    for (let k = 0; k < height; k++) {
      const parts = wrapped.map((cell, i) => align(cell[k] ?? '', widths[i]!, aligns[i] ?? 'left'))
      out.push((indent + parts.join(gap)).trimEnd())
    }
    return out
  }

  const out: string[] = []
  const multiLine =
    !keyValue &&
    body.length > 1 &&
    body.some((row) => row.some((cell, i) => cell.length > 1 || cell.some((l) => displayWidth(l) > widths[i]!)))
  if (!keyValue) {
    out.push(...line(head))
    out.push(indent + widths.map((w) => style.dim('─'.repeat(w))).join(gap))
  }
  body.forEach((row, r) => {
    // Rows spanning several lines get a faint rule between them, or they would run together.
    if (r > 0 && multiLine) out.push(indent + style.dim(widths.map((w) => '┈'.repeat(w)).join(gap)))
    out.push(...line(row))
  })
  return out
}

function align(text: string, width: number, how: Align): string {
  const room = width - displayWidth(text)
  if (room <= 0) return text
  if (how === 'right') return ' '.repeat(room) + text
  if (how === 'center') return ' '.repeat(Math.floor(room / 2)) + text + ' '.repeat(room - Math.floor(room / 2))
  return padEnd(text, width)
}

/** The whole summary, block by block, to terminal lines. */
export function renderMarkdown(markdown: string, options: MarkdownOptions): string[] {
  const { style } = options
  const lines = markdown
    .replace(/\r\n/g, '\n')
    .replace(/<!--[\s\S]*?-->/g, '')
    .split('\n')
  const out: string[] = []
  // Open <details> blocks: their content is indented under the `▶ summary` line.
  let depth = 0
  const pad = () => '  '.repeat(depth)
  const blank = () => {
    if (out.length && out.at(-1)!.trim() !== '') out.push('')
  }
  const paragraph: string[] = []
  const flushParagraph = () => {
    if (!paragraph.length) return
    const text = renderInline(paragraph.join(' ').replace(/\s+/g, ' ').trim(), style)
    for (const part of text.split('\n')) for (const l of wrap(part, options.width - pad().length)) out.push(pad() + l)
    paragraph.length = 0
    blank()
  }

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const trimmed = line.trim()

    const fence = /^(`{3,}|~{3,})\s*([\w+-]*)/.exec(trimmed)
    if (fence) {
      flushParagraph()
      const code: string[] = []
      for (i++; i < lines.length && !lines[i]!.trim().startsWith(fence[1]!); i++) code.push(lines[i]!)
      if (fence[2]) out.push(pad() + style.dim(`┌ ${fence[2]}`))
      for (const c of code) for (const l of wrap(c, options.width - pad().length - 2)) out.push(pad() + style.dim('│ ') + style.cyan(l))
      if (fence[2]) out.push(pad() + style.dim('└'))
      blank()
      continue
    }

    if (trimmed === '') {
      flushParagraph()
      continue
    }

    // <details><summary>Title</summary> (possibly over several lines) ... </details>
    const details = /^<details( open)?>\s*(?:<summary>([\s\S]*?)<\/summary>)?(.*)$/i.exec(trimmed)
    if (details) {
      flushParagraph()
      let title = details[2]
      let rest = details[3] ?? ''
      if (title === undefined) {
        const summary = /^<summary>([\s\S]*?)<\/summary>(.*)$/i.exec(lines[i + 1]?.trim() ?? '')
        if (summary) {
          title = summary[1]
          rest = summary[2] ?? ''
          i++
        }
      }
      out.push(pad() + style.bold(`▶ ${renderInline(title ?? 'Details', style)}`))
      depth++
      if (rest.trim()) paragraph.push(rest)
      continue
    }
    if (/^<\/details>$/i.test(trimmed)) {
      flushParagraph()
      depth = Math.max(0, depth - 1)
      blank()
      continue
    }

    const heading = /^(#{1,6})\s+(.*?)\s*#*$/.exec(trimmed)
    if (heading) {
      flushParagraph()
      blank()
      const level = heading[1]!.length
      const text = renderInline(heading[2]!, style)
      out.push(pad() + style.bold(text))
      // Like GitHub, the two top levels get a rule under them.
      if (level <= 2)
        out.push(pad() + style.dim((level === 1 ? '═' : '─').repeat(Math.min(displayWidth(text), options.width - pad().length))))
      continue
    }

    if (/^\|/.test(trimmed) && i + 1 < lines.length && isSeparatorRow(lines[i + 1]!)) {
      flushParagraph()
      const header = cellsOf(trimmed)
      const aligns = cellsOf(lines[i + 1]!).map((c): Align =>
        c.startsWith(':') && c.endsWith(':') ? 'center' : c.endsWith(':') ? 'right' : 'left'
      )
      const rows: string[][] = []
      for (i += 2; i < lines.length && lines[i]!.trim().startsWith('|'); i++) rows.push(cellsOf(lines[i]!))
      i--
      out.push(...renderTable(header, aligns, rows, options, pad()))
      blank()
      continue
    }

    if (/^(-{3,}|\*{3,}|_{3,})$/.test(trimmed)) {
      flushParagraph()
      out.push(pad() + style.dim('─'.repeat(Math.min(40, options.width - pad().length))))
      continue
    }

    const item = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line)
    if (item) {
      flushParagraph()
      const nest = '  '.repeat(Math.floor(item[1]!.length / 2))
      const bullet = /\d/.test(item[2]!) ? item[2]! : '•'
      const lead = pad() + nest + bullet + ' '
      const text = renderInline(
        item[3]!.replace(/^\[( |x)\]\s+/i, (_, x: string) => (x === ' ' ? '☐ ' : '☑ ')),
        style
      )
      text
        .split('\n')
        .flatMap((part) => wrap(part, options.width - displayWidth(lead)))
        .forEach((l, k) => out.push((k === 0 ? lead : ' '.repeat(displayWidth(lead))) + l))
      if (!/^(\s*)([-*+]|\d+[.)])\s+/.test(lines[i + 1] ?? '')) blank()
      continue
    }

    const quote = /^>\s?(.*)$/.exec(trimmed)
    if (quote) {
      flushParagraph()
      for (const l of wrap(renderInline(quote[1]!, style), options.width - pad().length - 2)) out.push(pad() + style.dim('│ ') + l)
      if (!/^>/.test(lines[i + 1]?.trim() ?? '')) blank()
      continue
    }

    paragraph.push(trimmed)
  }
  flushParagraph()
  while (out.length && out.at(-1)!.trim() === '') out.pop()
  return out
}
