// Colours and column arithmetic shared by the renderers. Colours only on a terminal, and never
// when NO_COLOR is set (https://no-color.org), so piped or tested output is plain text.

export interface Style {
  enabled: boolean
  bold(s: string): string
  dim(s: string): string
  italic(s: string): string
  red(s: string): string
  yellow(s: string): string
  green(s: string): string
  blue(s: string): string
  cyan(s: string): string
  magenta(s: string): string
  /** A clickable hyperlink (OSC 8) where the terminal supports it; otherwise just the text. */
  link(text: string, url: string): string
}

export function colourWanted(stream: { isTTY?: boolean } = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true
  return stream.isTTY === true && process.env.TERM !== 'dumb'
}

export function makeStyle(enabled: boolean): Style {
  // Each colour resets only its own attribute, so styles nest (bold text inside a red line).
  const sgr = (open: number, close: number) => (s: string) => (enabled && s ? `\x1b[${open}m${s}\x1b[${close}m` : s)
  return {
    enabled,
    bold: sgr(1, 22),
    dim: sgr(2, 22),
    italic: sgr(3, 23),
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    blue: sgr(34, 39),
    magenta: sgr(35, 39),
    cyan: sgr(36, 39),
    link: (text, url) => (enabled ? `\x1b]8;;${url}\x1b\\${text}\x1b]8;;\x1b\\` : text)
  }
}

// CSI (colours) and OSC (hyperlinks) sequences take no columns.
const ESCAPES = /\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\/g

export const stripAnsi = (s: string) => s.replace(ESCAPES, '')

/**
 * Columns a string takes in a terminal: emoji such as ✅ and ❌ and East Asian wide characters
 * take two, combining marks and joiners none. Without this, summary tables with status emoji
 * would not line up.
 */
export function displayWidth(s: string): number {
  let width = 0
  const chars = [...stripAnsi(s)]
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!
    const cp = c.codePointAt(0)!
    if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) continue
    if (/\p{Mn}|\p{Me}|\u200d/u.test(c)) continue
    if (cp === 0xfe0f) {
      // A variation selector asks for the emoji form of the previous character: two columns.
      if (i > 0 && !/\p{Emoji_Presentation}/u.test(chars[i - 1]!)) width += 1
      continue
    }
    if (/\p{Emoji_Presentation}/u.test(c) || isEastAsianWide(cp)) width += 2
    else width += 1
  }
  return width
}

function isEastAsianWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
}

export const padEnd = (s: string, width: number) => s + ' '.repeat(Math.max(0, width - displayWidth(s)))

/**
 * Word-wraps one line (which may hold colour codes) to `width` columns. Words longer than a line,
 * such as resource IDs and digests, are cut; a colour open at a cut is closed and reopened so
 * every line stands alone.
 */
export function wrap(line: string, width: number): string[] {
  if (width < 1 || displayWidth(line) <= width) return [line]
  const tokens = line.match(/\x1b\[[0-9;]*m|\x1b\]8;;[^\x1b]*\x1b\\|\s+|[^\s\x1b]+/g) ?? []
  const lines: string[] = []
  let current = ''
  let currentWidth = 0
  let open: string[] = []
  // Spaces left at a break go, even when a colour code follows them.
  const trimEnd = (s: string) => s.replace(/\s+((?:\x1b\[[0-9;]*m)*)$/, '$1')
  const flush = () => {
    lines.push(trimEnd(current) + (open.length ? '\x1b[0m' : ''))
    current = open.join('')
    currentWidth = 0
  }
  for (const token of tokens) {
    if (token.startsWith('\x1b')) {
      current += token
      if (token.startsWith('\x1b[')) open = /\x1b\[(0|22|23|39)m/.test(token) ? open.filter((o) => !closes(token, o)) : [...open, token]
      continue
    }
    if (/^\s+$/.test(token)) {
      // Spaces are kept (aligned columns in a log line stay aligned) except where the line breaks.
      if (currentWidth + token.length < width) {
        current += token
        currentWidth += token.length
      } else if (currentWidth > 0) flush()
      continue
    }
    let word = token
    if (currentWidth > 0 && currentWidth + displayWidth(word) > width) flush()
    while (displayWidth(word) > width) {
      const [head, rest] = cutAt(word, width - currentWidth)
      current += head
      currentWidth += displayWidth(head)
      flush()
      word = rest
    }
    current += word
    currentWidth += displayWidth(word)
  }
  if (stripAnsi(current).trim() || lines.length === 0) lines.push(trimEnd(current) + (open.length ? '\x1b[0m' : ''))
  return lines
}

function closes(close: string, open: string): boolean {
  if (close === '\x1b[0m') return true
  const code = Number(/\d+/.exec(open)?.[0])
  if (close === '\x1b[22m') return code === 1 || code === 2
  if (close === '\x1b[23m') return code === 3
  return code >= 30 && code <= 37
}

/**
 * The head of a too-long word that fits in `width` columns, cut after a `/`, `-`, `,` or `:` when
 * there is one in its latter part (resource IDs and pod names then break where they read well).
 */
function cutAt(word: string, width: number): [string, string] {
  const chars = [...word]
  const room = Math.max(1, width)
  let taken = 0
  let i = 0
  for (; i < chars.length; i++) {
    const w = displayWidth(chars[i]!)
    if (taken + w > room) break
    taken += w
  }
  let at = Math.max(1, i)
  for (let k = at - 1; k >= Math.ceil(at / 2); k--) {
    if ('/-,:'.includes(chars[k]!)) {
      at = k + 1
      break
    }
  }
  return [chars.slice(0, at).join(''), chars.slice(at).join('')]
}

/** How wide to lay out: the terminal's width, or a conventional 100 columns when piped. */
export function outputWidth(stream: { columns?: number; isTTY?: boolean } = process.stdout): number {
  const columns = stream.isTTY && stream.columns ? stream.columns : Number(process.env.COLUMNS) || 100
  return Math.max(60, Math.min(columns, 160))
}
