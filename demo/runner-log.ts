// Renders a step's raw output the way the GitHub UI shows the job log. The action talks to the
// runner through workflow commands on stdout (`::add-mask::`, `::group::`, `::error::`, ...); the
// runner consumes them, so a newcomer reading the raw text would see noise, and worse, the
// secrets that `::add-mask::` registers. This does what the runner does with them.
import { wrap, type Style } from './terminal.ts'

export interface LogRenderOptions {
  style: Style
  width: number
  /** Values the runner masks before the step prints anything (its own tokens, secrets). */
  secrets?: string[]
  /** Show `::debug::` lines, as with the repository variable ACTIONS_STEP_DEBUG=true. */
  debug?: boolean
}

/** Decodes a command's message: the runner's escaping of `%`, CR and LF. */
export const unescapeData = (s: string) => s.replace(/%0D/gi, '\r').replace(/%0A/gi, '\n').replace(/%25/g, '%')

/** Property values (`file=`, `title=`) also escape `:` and `,`. */
const unescapeProperty = (s: string) => unescapeData(s.replace(/%3A/gi, ':').replace(/%2C/gi, ','))

interface Command {
  name: string
  properties: Record<string, string>
  data: string
}

/** `::name key=value,key=value::data`, the runner's (v2) command syntax. */
export function parseCommand(line: string): Command | undefined {
  const match = /^::([A-Za-z-]+)(?: ([^:]*))?::(.*)$/s.exec(line.trimStart())
  if (!match) return undefined
  const properties: Record<string, string> = {}
  for (const pair of (match[2] ?? '').split(',')) {
    const at = pair.indexOf('=')
    if (at > 0) properties[pair.slice(0, at).trim()] = unescapeProperty(pair.slice(at + 1))
  }
  return { name: match[1]!.toLowerCase(), properties, data: unescapeData(match[3]!) }
}

/**
 * The runner's secret masker: every registered value is replaced by `***` in every later line.
 * Like the runner, it also catches the value's URL- and JSON-escaped forms, the usual ways a
 * token leaks inside a URL or an error body. Longest first, so a secret containing another is
 * masked whole.
 */
export class SecretMasker {
  private values = new Set<string>()

  add(secret: string): void {
    const value = secret.trim()
    if (!value) return
    for (const form of [value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) this.values.add(form)
    // A multi-line secret (a PEM key) reaches the log line by line.
    for (const line of value.split(/\r?\n/)) if (line.trim()) this.values.add(line.trim())
  }

  mask(text: string): string {
    let masked = text
    for (const value of [...this.values].sort((a, b) => b.length - a.length)) masked = masked.split(value).join('***')
    return masked
  }
}

const ANNOTATIONS: Record<string, { label: string; colour: keyof Pick<Style, 'red' | 'yellow' | 'blue'> }> = {
  error: { label: 'Error', colour: 'red' },
  warning: { label: 'Warning', colour: 'yellow' },
  notice: { label: 'Notice', colour: 'blue' }
}

/**
 * The step's header in the UI: `Run owner/action@ref` and the inputs the runner passed. The runner
 * lists every defaulted input too; those named in `defaulted` are folded into one line here, so
 * the inputs the workflow actually sets stand out.
 */
export function renderStepHeader(
  title: string,
  inputs: Record<string, string>,
  options: LogRenderOptions,
  defaulted: string[] = []
): string[] {
  const { style } = options
  const masker = new SecretMasker()
  for (const secret of options.secrets ?? []) masker.add(secret)
  const lines = [style.bold(`▶ ${title}`), style.dim('    with:')]
  for (const [name, value] of Object.entries(inputs)) {
    if (defaulted.includes(name)) continue
    const [first, ...rest] = masker.mask(value).split('\n')
    lines.push(style.dim(`      ${name}: ${first}`))
    for (const more of rest) lines.push(style.dim(`        ${more}`))
  }
  const folded = defaulted.filter((name) => name in inputs).map((name) => `${name}=${masker.mask(inputs[name]!)}`)
  if (folded.length) {
    const text = `(defaults from action.yml) ${folded.join(', ')}`
    for (const line of wrap(text, Math.max(20, options.width - 8))) lines.push(style.dim(`      ${line}`))
  }
  return lines
}

/** Turns a step's raw stdout/stderr into the lines the job log shows. */
export function renderRunnerLog(raw: string, options: LogRenderOptions): string[] {
  const { style, width } = options
  const masker = new SecretMasker()
  for (const secret of options.secrets ?? []) masker.add(secret)
  const out: string[] = []
  let inGroup = false
  // `::stop-commands::TOKEN` makes the runner print lines verbatim until `::TOKEN::`.
  let stopToken: string | undefined

  const indent = () => (inGroup ? '    ' : '')
  const emit = (text: string, colour: (s: string) => string = (s) => s, hanging = 0) => {
    const lead = indent() + ' '.repeat(hanging)
    // Wrap long lines (resource IDs, error bodies) under their own indent, as the UI does.
    for (const line of wrap(text.replace(/\r/g, ''), Math.max(20, width - lead.length))) out.push((lead + colour(line)).trimEnd())
  }

  const lines = raw.replace(/\r\n/g, '\n').split('\n')
  if (lines.at(-1) === '') lines.pop()
  for (const line of lines) {
    if (stopToken !== undefined) {
      if (line.trim() === `::${stopToken}::`) stopToken = undefined
      else emit(masker.mask(line))
      continue
    }
    const command = parseCommand(line)
    if (!command) {
      emit(masker.mask(line))
      continue
    }
    switch (command.name) {
      case 'add-mask':
        masker.add(command.data)
        break
      case 'debug':
        if (options.debug) for (const l of masker.mask(command.data).split('\n')) emit(`##[debug]${l}`, style.magenta)
        break
      case 'group':
        // Groups do not nest in the UI: a new group ends the open one.
        if (inGroup) out.push('')
        inGroup = false
        emit(style.bold(`▶ ${masker.mask(command.data)}`))
        inGroup = true
        break
      case 'endgroup':
        inGroup = false
        break
      case 'error':
      case 'warning':
      case 'notice': {
        const { label, colour } = ANNOTATIONS[command.name]!
        const paint = style[colour]
        const where = command.properties.file
          ? ` (${command.properties.file}${command.properties.line ? `:${command.properties.line}` : ''})`
          : ''
        const title = command.properties.title ? `${masker.mask(command.properties.title)}: ` : ''
        const [first, ...rest] = masker.mask(command.data).replace(/\r/g, '').split('\n')
        const prefix = `${label}: `
        const firstLines = wrap(`${title}${first}${where}`, Math.max(20, width - indent().length - prefix.length))
        firstLines.forEach((l, i) => out.push(indent() + paint(i === 0 ? style.bold(prefix) + l : ' '.repeat(prefix.length) + l)))
        // Continuation lines hang under the message, so a multi-line diagnosis reads as one block.
        for (const more of rest) emit(more, paint, prefix.length)
        break
      }
      case 'stop-commands':
        stopToken = command.data
        break
      case 'echo':
      case 'set-output':
      case 'save-state':
      case 'set-env':
      case 'add-path':
        // Consumed by the runner; nothing appears in the log.
        break
      default:
        // Not a command the runner knows: it prints the line as it is.
        emit(masker.mask(line))
    }
  }
  return out
}

/** Whether a rendered log still holds something that looks like a JWT (a token the action forgot to mask). */
export const JWT_PATTERN = /eyJ[\w-]{10,}\.eyJ[\w-]{10,}\.[\w-]{10,}/
