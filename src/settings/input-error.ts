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
