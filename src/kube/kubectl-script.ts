/**
 * Several kubectl invocations in one command pod: a POSIX shell script that brackets each with
 * markers, so one log (stdout and stderr together, as AKS returns it) splits back into each
 * invocation's output and exit code. An invocation whose closing marker is missing did not finish
 * (the pod's time limit, or the log cap cut it off).
 */
export interface ScriptStep {
  id: string
  /** kubectl's arguments; quoted for the shell here. */
  args: string[]
}

export interface StepOutput {
  /** undefined: the step never finished. */
  exitCode: number | undefined
  output: string
}

const MARK = '<<<aks-acr-action'

export function kubectlScript(steps: ScriptStep[]): string {
  return (
    steps
      // The closing marker starts on a line of its own even when kubectl's output does not end one.
      .map(
        (step) =>
          `echo '${MARK} ${step.id}>>>'; kubectl ${step.args.map(quote).join(' ')} 2>&1; printf '\\n${MARK} ${step.id} exit=%s>>>\\n' "$?"`
      )
      .join('\n')
  )
}

/** Pure: each step's output and exit code, by id, from the command's log. */
export function splitLog(logs: string, ids: string[]): Map<string, StepOutput> {
  const outputs = new Map<string, StepOutput>()
  for (const id of ids) {
    const open = `${MARK} ${id}>>>\n`
    const start = logs.indexOf(open)
    if (start < 0) {
      outputs.set(id, { exitCode: undefined, output: '' })
      continue
    }
    const body = logs.slice(start + open.length)
    const close = new RegExp(`\\n${escapeRegExp(`${MARK} ${id} exit=`)}(\\d+)>>>`).exec(body)
    outputs.set(id, close ? { exitCode: Number(close[1]), output: body.slice(0, close.index) } : { exitCode: undefined, output: body })
  }
  return outputs
}

/** Single quotes keep everything literal in POSIX sh; a quote inside is closed, escaped and reopened. */
export function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** kubectl's `Error from server (Reason): message` lines, and its other `error: …` lines. */
export function kubectlError(output: string): { reason: string | undefined; message: string } {
  const server = /Error from server \((\w+)\):\s*([\s\S]*?)\s*$/m.exec(output)
  if (server) return { reason: server[1], message: server[2]!.trim() }
  const plain = /^error:\s*(.*)$/m.exec(output)
  return { reason: undefined, message: (plain?.[1] ?? output).trim().split('\n').slice(-5).join(' ') }
}
