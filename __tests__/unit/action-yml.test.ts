import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'

const root = join(import.meta.dirname, '../..')
const action = load(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, { description?: string }>; outputs: Record<string, { description?: string }>; runs: { using: string } }

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [readFileSync(join(dir, entry.name), 'utf8')] : []
  )
}

describe('action.yml', () => {
  const code = sources(join(root, 'src')).join('\n')
  const read = new Set([...code.matchAll(/(?:getInput\(|readBoolean\(getInput, |readEndpoint\(getInput, )'([a-z-]+)'/g)].map((m) => m[1]))

  it('runs on node24', () => {
    expect(action.runs.using).toBe('node24')
  })
  it('declares every input the code reads, each with a description', () => {
    for (const name of read) expect(action.inputs[name!]?.description).toBeTruthy()
  })
  it('declares no input the code ignores', () => {
    for (const name of Object.keys(action.inputs)) expect(read.has(name)).toBe(true)
  })
  it('declares every output the report sets, each with a description', () => {
    const outputs = readFileSync(join(root, 'src/report/outputs.ts'), 'utf8')
    const declared = [...outputs.matchAll(/\| '([a-z-]+)'/g)].map((m) => m[1]!)
    expect(declared.length).toBeGreaterThan(5)
    for (const name of declared) expect(action.outputs[name]?.description).toBeTruthy()
    for (const name of Object.keys(action.outputs)) expect(declared).toContain(name)
  })
})
