/**
 * A failure explained for the person reading the job: what failed, the service's own code and
 * words, and what to change. `code` keeps Azure's, Entra's or Kubernetes' error code for tooling and tests.
 */
export class ActionError extends Error {
  readonly code: string | undefined
  readonly hint: string | undefined

  constructor(what: string, options: { code?: string; detail?: string; hint?: string; cause?: unknown } = {}) {
    const parts = [what]
    if (options.code || options.detail) parts.push(`${options.code ? `${options.code}: ` : ''}${options.detail ?? ''}`.trim())
    if (options.hint) parts.push(options.hint)
    // Each part may end its own sentence; join them without doubling the full stop.
    super(parts.map((part) => part.replace(/\.\s*$/, '')).join('. '), { cause: options.cause })
    this.name = 'ActionError'
    this.code = options.code
    this.hint = options.hint
  }
}

/**
 * A problem with what the workflow asked for, found before any request leaves the runner.
 * It always names the input so the fix is obvious from the one-line failure annotation.
 */
export class InputError extends Error {
  readonly input: string

  constructor(input: string, problem: string) {
    super(`Input '${input}': ${problem}`)
    this.name = 'InputError'
    this.input = input
  }
}

/** The message of anything thrown, for sentences that quote it. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** The parts of an Azure SDK RestError (or any thrown value) that explanations need. */
export interface ServiceFailure {
  status: number | undefined
  code: string | undefined
  message: string
}

export function describeFailure(error: unknown): ServiceFailure {
  if (typeof error !== 'object' || error === null) return { status: undefined, code: undefined, message: String(error) }
  const candidate = error as { statusCode?: unknown; code?: unknown; message?: unknown; details?: unknown }
  const status = typeof candidate.statusCode === 'number' ? candidate.statusCode : undefined
  let code = typeof candidate.code === 'string' ? candidate.code : undefined
  let message = typeof candidate.message === 'string' ? candidate.message : String(error)
  // RestError keeps the ARM body in `details` when the SDK could not map it onto its own error type.
  const body = candidate.details as { error?: { code?: unknown; message?: unknown } } | undefined
  if (body?.error && typeof body.error.code === 'string') {
    code = body.error.code
    if (typeof body.error.message === 'string') message = body.error.message
  }
  return { status, code, message: message.trim() }
}
