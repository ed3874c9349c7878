import { describe, it, expect } from '@jest/globals'
import { renderRunnerLog, renderStepHeader, parseCommand } from '../../demo/runner-log.ts'
import { renderMarkdown, renderInline } from '../../demo/markdown.ts'
import { parseFileCommands, resolveInputs } from '../../demo/run-action.ts'
import { displayWidth, makeStyle, stripAnsi, wrap } from '../../demo/terminal.ts'

const plain = makeStyle(false)
const log = (raw: string, secrets: string[] = []) => renderRunnerLog(raw, { style: plain, width: 100, secrets })
const md = (text: string, width = 100) => renderMarkdown(text, { style: plain, width })

describe('runner log', () => {
  it('hides add-mask and debug lines and masks the value in every later line, also URL-encoded', () => {
    const out = log(['::add-mask::s3cr3t/value', '::debug::token s3cr3t/value', 'got s3cr3t/value', 'url ?t=s3cr3t%2Fvalue', ''].join('\n'))
    expect(out).toEqual(['got ***', 'url ?t=***'])
  })

  it('masks what the runner knows before the step starts', () => {
    expect(log('header: runner-token-123', ['runner-token-123'])).toEqual(['header: ***'])
  })

  it('renders groups as a header with indented lines, ended by endgroup or the next group', () => {
    expect(log('::group::One\na\n::endgroup::\nb\n::group::Two\nc\n::group::Three\nd')).toEqual([
      '▶ One',
      '    a',
      'b',
      '▶ Two',
      '    c',
      '',
      '▶ Three',
      '    d'
    ])
  })

  it('decodes annotations and hangs their continuation lines under the message', () => {
    expect(log('::error::first%0Asecond 100%25%0D')).toEqual(['Error: first', '       second 100%'])
    expect(log('::warning file=a.yml,line=3,title=Bad%3A input::careful')).toEqual(['Warning: Bad: input: careful (a.yml:3)'])
    expect(log('::notice::fyi')).toEqual(['Notice: fyi'])
  })

  it('prints lines verbatim between stop-commands and its token', () => {
    expect(log('::stop-commands::tok\n::error::not a command\n::tok::\n::error::a command')).toEqual([
      '::error::not a command',
      'Error: a command'
    ])
  })

  it('parses command properties', () => {
    expect(parseCommand('::error file=x%2Cy.ts,line=1::m')).toEqual({ name: 'error', properties: { file: 'x,y.ts', line: '1' }, data: 'm' })
    expect(parseCommand('plain :: text')).toBeUndefined()
  })

  it('shows the step header with given inputs, defaults folded into one line', () => {
    const out = renderStepHeader(
      'Run o/a@v1',
      { mode: 'attach', timeout: '5m', password: 'pw-1' },
      { style: plain, width: 100, secrets: ['pw-1'] },
      ['timeout']
    )
    expect(out).toEqual([
      '▶ Run o/a@v1',
      '    with:',
      '      mode: attach',
      '      password: ***',
      '      (defaults from action.yml) timeout=5m'
    ])
  })
})

describe('markdown', () => {
  it('aligns table columns, counting emoji as two columns, with <br> as line breaks', () => {
    const out = md('| Name | Ready | Pods |\n|---|---|---|\n| web | ✅ 2/2 | a<br>b |\n| a-much-longer-name | ⏳ 0/1 | c |')
    expect(out[0]).toBe('Name                Ready   Pods')
    expect(out).toContain('web                 ✅ 2/2  a')
    expect(out).toContain('                            b')
    const c = out.find((l) => l.endsWith(' c'))!
    expect(displayWidth(c.slice(0, -1))).toBe(displayWidth(out[0]!.slice(0, out[0]!.indexOf('Pods'))))
  })

  it('prints a table without header cells as labelled rows, links as their text', () => {
    expect(md('| | |\n|---|---|\n| Cluster | [aks](https://portal/x) in rg |\n| Role | `AcrPull` |')).toEqual([
      'Cluster  aks in rg',
      'Role     AcrPull'
    ])
  })

  it('right-aligns and wraps cells to fit the width', () => {
    const out = md('| k | v |\n|---|--:|\n| a | 1 |\n| b | 22 |')
    expect(out.slice(2)).toEqual(['a   1', 'b  22'])
    const narrow = md(`| a | b |\n|---|---|\n| ${'word '.repeat(30)} | x |`, 60)
    expect(Math.max(...narrow.map(displayWidth))).toBeLessThanOrEqual(60)
  })

  it('renders headings, details, lists, code and prose links', () => {
    const out = md(
      '## Title ✅\n\nSome **bold** and [docs](https://example.com).\n\n<details><summary>More</summary>\n\n- one `x`\n- two\n\n</details>\n\n```text\ncode line\n```'
    )
    expect(out).toEqual([
      'Title ✅',
      '────────',
      'Some bold and docs (https://example.com).',
      '',
      '▶ More',
      '  • one x',
      '  • two',
      '',
      '┌ text',
      '│ code line',
      '└'
    ])
  })

  it('decodes entities and leaves identifiers with underscores alone', () => {
    expect(renderInline('a &lt;b&gt; kubelet_identity_id _it_', plain)).toBe('a <b> kubelet_identity_id it')
  })
})

describe('terminal', () => {
  it('wraps at spaces, cuts long words after / or -, and keeps colours balanced', () => {
    expect(wrap('aaa bbb ccc', 7)).toEqual(['aaa bbb', 'ccc'])
    expect(wrap('/subscriptions/abc/resourceGroups/rg', 20)).toEqual(['/subscriptions/abc/', 'resourceGroups/rg'])
    const red = makeStyle(true).red('one two three four')
    for (const line of wrap(red, 8)) expect(stripAnsi(line).length).toBeLessThanOrEqual(8)
    expect(wrap(red, 8).every((l) => !l.includes('\x1b[31m') || l.endsWith('\x1b[39m') || l.endsWith('\x1b[0m'))).toBe(true)
  })
})

describe('runner plumbing', () => {
  it('reads the file-command format @actions/core writes', () => {
    expect(parseFileCommands('a<<EOF_1\nx\ny\nEOF_1\nb=1\n')).toEqual({ a: 'x\ny', b: '1' })
  })

  it("passes action.yml's defaults and flags undeclared inputs, as the runner does", () => {
    const inputs = resolveInputs({ mode: 'detach', 'no-such-input': 'x' })
    expect(inputs.values.mode).toBe('detach')
    expect(inputs.values.audience).toBe('api://AzureADTokenExchange')
    expect(inputs.defaulted).toContain('audience')
    expect(inputs.unexpected).toEqual(['no-such-input'])
  })
})
