import { describe, expect, it } from '@jest/globals'
import { reportParts } from '../../src/modes.js'
import { planAttach, planDetach } from '../../src/plan/assignments.js'
import { buildOutputs as buildOutputsOf } from '../../src/report/outputs.js'
import { buildSummary as buildSummaryOf } from '../../src/report/summary.js'
import { emptyRecord, type RunRecord } from '../../src/report/run-record.js'
import { assignment, discoveryWith, KUBELET, REGISTRY_ID, settingsFor } from './fixtures.js'

function recordFor(mode: 'attach' | 'detach'): RunRecord {
  const settings = settingsFor({ mode })
  const discovery = discoveryWith(mode === 'detach' ? [assignment('AcrPull', REGISTRY_ID)] : [])
  const plan = mode === 'attach' ? planAttach(settings, discovery) : planDetach(discovery)
  const result = {
    mode,
    results: plan.changes.map((change) => ({
      change,
      outcome: change.kind === 'create-assignment' ? ('created' as const) : ('deleted' as const),
      assignmentId: change.kind === 'create-assignment' ? `${REGISTRY_ID}/providers/Microsoft.Authorization/roleAssignments/${change.request.name}` : undefined
    }))
  }
  return { settings, discovery, plans: { [mode]: plan }, results: { [mode]: result }, error: undefined }
}

/** The report of the modes the record's settings ask for, as the action builds it. */
const buildOutputs = (record: RunRecord) => buildOutputsOf(record, reportParts(record).outputs)
const buildSummary = (record: RunRecord) => buildSummaryOf(record, reportParts(record).sections)

describe('outputs', () => {
  it('name the registry, the kubelet and the assignment after attach', () => {
    const outputs = buildOutputs(recordFor('attach'))
    expect(outputs).toMatchObject({ 'registry-id': REGISTRY_ID, 'login-server': 'myacr01.azurecr.io', 'kubelet-object-id': KUBELET, role: 'AcrPull', changed: 'true' })
    expect(outputs['role-assignment-id']).toMatch(/roleAssignments\/[0-9a-f-]{36}$/)
  })
  it('leave role-assignment-id empty after detach', () => {
    expect(buildOutputs(recordFor('detach'))).toMatchObject({ 'role-assignment-id': '', role: '', changed: 'true' })
  })
  it('are empty but present when nothing was found', () => {
    expect(buildOutputs({ ...emptyRecord(), error: new Error('x') })).toEqual({
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
    })
  })
})

describe('summary', () => {
  it('links the resources in the portal of the cloud and lists the change', () => {
    const summary = buildSummary(recordFor('attach'))
    expect(summary).toContain('https://portal.azure.com/#@99999999-9999-9999-9999-999999999999/resource/subscriptions/')
    expect(summary).toContain('| attach | AcrPull')
    expect(summary).toContain('✅ created')
  })
  it('uses the sovereign portal', () => {
    const record = recordFor('attach')
    record.settings = settingsFor({ environment: 'AzureChinaCloud', registry: 'myacr01.azurecr.cn' })
    expect(buildSummary(record)).toContain('https://portal.azure.cn/#@')
  })
  it('shows the error of a failed run', () => {
    const record = recordFor('attach')
    record.error = new Error('Could not create the AcrPull role assignment')
    expect(buildSummary(record)).toContain('❌ failed')
    expect(buildSummary(record)).toContain('Could not create the AcrPull role assignment')
  })
})
