import { describe, expect, it } from '@jest/globals'
import { execFileSync } from 'node:child_process'
import { kubectlError, kubectlScript, quote, splitLog } from '../../src/kube/kubectl-script.js'

/** The script as a real POSIX shell runs it, with a stand-in `kubectl` that echoes and exits as told. */
function runWithFakeKubectl(script: string): string {
  const fake =
    'kubectl() { case "$1" in ok) printf "%s\\n" "$2" ;; partial) printf "no newline" ;; fail) echo "Error from server (Forbidden): $2" >&2; return 1 ;; esac; }'
  return execFileSync('sh', ['-c', `${fake}\n${script}`], { encoding: 'utf8' })
}

describe('kubectl scripts in one command pod', () => {
  it('split one log back into each invocation, with its exit code, stderr included', () => {
    const script = kubectlScript([
      { id: 'a', args: ['ok', '{"kind":"List"}'] },
      { id: 'b', args: ['fail', 'pods is forbidden: User "x" can\'t list'] },
      { id: 'c', args: ['partial'] }
    ])
    const outputs = splitLog(runWithFakeKubectl(script), ['a', 'b', 'c'])
    expect(outputs.get('a')).toEqual({ exitCode: 0, output: '{"kind":"List"}\n' })
    expect(outputs.get('b')!.exitCode).toBe(1)
    expect(kubectlError(outputs.get('b')!.output)).toEqual({ reason: 'Forbidden', message: `pods is forbidden: User "x" can't list` })
    expect(outputs.get('c')).toEqual({ exitCode: 0, output: 'no newline' })
  })

  it('tells a step whose end was cut off (the log cap) from one that finished', () => {
    const log = runWithFakeKubectl(
      kubectlScript([
        { id: 'a', args: ['ok', 'x'] },
        { id: 'b', args: ['ok', 'y'.repeat(100)] }
      ])
    )
    const cut = log.slice(0, log.indexOf('y') + 10)
    const outputs = splitLog(cut, ['a', 'b', 'c'])
    expect(outputs.get('a')!.exitCode).toBe(0)
    expect(outputs.get('b')).toEqual({ exitCode: undefined, output: 'y'.repeat(10) })
    expect(outputs.get('c')).toEqual({ exitCode: undefined, output: '' })
  })

  it('quotes arguments so the shell passes them through unchanged', () => {
    const args = ["it's", 'a b', '$HOME', 'app in (a,b),!legacy', '`x`', 'plain-arg=1']
    const echoed = execFileSync('sh', ['-c', `printf '%s\\n' ${args.map(quote).join(' ')}`], { encoding: 'utf8' })
    expect(echoed.trimEnd().split('\n')).toEqual(args)
  })
})
