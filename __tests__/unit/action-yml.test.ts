import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'
import { MODES } from '../../src/modes.js'
import { buildOutputs } from '../../src/report/outputs.js'
import { emptyRecord } from '../../src/report/run-record.js'
import { MODE_INPUTS } from '../../src/settings/mode-inputs.js'
import { MODE_ORDER } from '../../src/settings/modes.js'
import { readSettings } from '../../src/settings/settings.js'

type Declared = Record<string, { description?: string; default?: string }>
const root = join(import.meta.dirname, '../..')
const action = load(readFileSync(join(root, 'action.yml'), 'utf8')) as { inputs: Declared; outputs: Declared; runs: { using: string } }

/** Every input name the settings reader asks for, with inputs that make each mode's reading complete. */
function inputsRead(): Set<string> {
  const asked = new Set<string>()
  const values: Record<string, string> = {
    cluster: 'myAKSCluster',
    'resource-group': 'rg',
    registry: 'myacr01',
    'subscription-id': '11111111-2222-3333-4444-555555555555',
    'tenant-id': '99999999-9999-9999-9999-999999999999',
    'client-id': '88888888-8888-8888-8888-888888888888'
  }
  const forModes: Record<string, Record<string, string>> = {
    'attach, import, check, deploy': { images: 'nginx:1.27', manifests: 'k8s', 'check-pull': 'true' },
    detach: {}
  }
  const env = { ACTIONS_ID_TOKEN_REQUEST_URL: 'https://example.invalid', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't' }
  for (const [mode, more] of Object.entries(forModes)) {
    const inputs: Record<string, string> = { ...values, ...more, mode }
    readSettings((name) => {
      asked.add(name)
      return inputs[name] ?? ''
    }, env)
  }
  return asked
}

describe('action.yml', () => {
  const read = inputsRead()

  it('runs on node24', () => {
    expect(action.runs.using).toBe('node24')
  })
  it('declares every input the settings reader asks for, each with a description', () => {
    for (const name of read) expect([name, action.inputs[name]?.description]).toEqual([name, expect.any(String)])
  })
  it('declares no input the settings reader never asks for', () => {
    expect(Object.keys(action.inputs).filter((name) => !read.has(name))).toEqual([])
  })
  it('gives mode-specific inputs the defaults the refusal of absent modes expects', () => {
    for (const entry of MODE_INPUTS) expect([entry.input, action.inputs[entry.input]?.default]).toEqual([entry.input, entry.default])
  })
  it('declares exactly the outputs the report sets, each with a description', () => {
    const built = Object.keys(
      buildOutputs(
        emptyRecord(),
        MODE_ORDER.map((mode) => MODES[mode].outputs)
      )
    )
    expect(Object.keys(action.outputs).sort()).toEqual(built.sort())
    for (const name of built) expect([name, action.outputs[name]?.description]).toEqual([name, expect.any(String)])
  })
})
