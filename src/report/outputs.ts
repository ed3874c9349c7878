import type { RunRecord } from './run-record.js'

export type OutputName =
  | 'registry-id'
  | 'login-server'
  | 'kubelet-object-id'
  | 'role-assignment-id'
  | 'role'
  | 'images'
  | 'deployed'
  | 'ready'
  | 'kubeconfig'
  | 'can-pull'
  | 'reasons'
  | 'changed'

export type Outputs = Record<OutputName, string>

/** What each mode adds to the outputs, and whether it changed anything. */
export interface OutputPart {
  outputs(record: RunRecord): Partial<Outputs>
  changed(record: RunRecord): boolean
}

/** Every output is always set, so a later step can read it whatever modes ran or how far the run got. */
const EMPTY: Outputs = {
  'registry-id': '',
  'login-server': '',
  'kubelet-object-id': '',
  'role-assignment-id': '',
  role: '',
  images: '[]',
  deployed: '[]',
  ready: 'false',
  kubeconfig: '',
  'can-pull': '',
  reasons: '[]',
  changed: 'false'
}

/** Pure: the step outputs of a run, set even when it failed part-way so later steps can inspect it. */
export function buildOutputs(record: RunRecord, parts: OutputPart[]): Outputs {
  const outputs: Outputs = {
    ...EMPTY,
    'registry-id': record.discovery.registry?.id ?? '',
    'login-server': record.discovery.registry?.loginServer ?? '',
    'kubelet-object-id': record.discovery.kubeletObjectId ?? ''
  }
  for (const part of parts) Object.assign(outputs, part.outputs(record))
  outputs.changed = String(parts.some((part) => part.changed(record)))
  return outputs
}
