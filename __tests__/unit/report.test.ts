import { describe, expect, it } from '@jest/globals'
import { reportParts } from '../../src/modes.js'
import { planAttach, planDetach } from '../../src/plan/assignments.js'
import { buildOutputs as buildOutputsOf } from '../../src/report/outputs.js'
import { buildSummary as buildSummaryOf } from '../../src/report/summary.js'
import { emptyRecord, type RunRecord } from '../../src/report/run-record.js'
import type { SignedInIdentity } from '../../src/azure/signed-in-identity.js'
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
      assignmentId:
        change.kind === 'create-assignment'
          ? `${REGISTRY_ID}/providers/Microsoft.Authorization/roleAssignments/${change.request.name}`
          : undefined
    }))
  }
  return { settings, signedIn: SIGNED_IN, discovery, plans: { [mode]: plan }, results: { [mode]: result }, error: undefined }
}

const SIGNED_IN: SignedInIdentity = {
  method: 'oidc',
  reason: 'auth-type is auto and this job can request a GitHub OIDC token',
  tenantId: '99999999-9999-9999-9999-999999999999',
  clientId: '88888888-8888-8888-8888-888888888888',
  objectId: '77777777-7777-7777-7777-777777777777',
  resourceId: undefined,
  subject: 'repo:octo-org/octo-app:ref:refs/heads/main'
}

/** The report of the modes the record's settings ask for, as the action builds it. */
const buildOutputs = (record: RunRecord) => buildOutputsOf(record, reportParts(record).outputs)
const buildSummary = (record: RunRecord) => buildSummaryOf(record, reportParts(record).sections)

describe('outputs', () => {
  it('name the registry, the kubelet and the assignment after attach', () => {
    const outputs = buildOutputs(recordFor('attach'))
    expect(outputs).toMatchObject({
      'registry-id': REGISTRY_ID,
      'login-server': 'myacr01.azurecr.io',
      'kubelet-object-id': KUBELET,
      role: 'AcrPull',
      changed: 'true'
    })
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
  it('names the identity and how it signed in', () => {
    expect(buildSummary(recordFor('attach'))).toContain(
      '| Signed in as | client `88888888-8888-8888-8888-888888888888` (object ID `77777777-7777-7777-7777-777777777777`) with GitHub OIDC as `repo:octo-org/octo-app:ref:refs/heads/main` in tenant `99999999-9999-9999-9999-999999999999` (AzureCloud) |'
    )
    const managed = recordFor('attach')
    managed.signedIn = {
      ...SIGNED_IN,
      method: 'managed-identity',
      subject: undefined,
      resourceId: '/subscriptions/s/resourcegroups/runners/providers/Microsoft.ManagedIdentity/userAssignedIdentities/runner-id'
    }
    expect(buildSummary(managed)).toContain(
      '| Signed in as | the user-assigned managed identity `runner-id` (client `88888888-8888-8888-8888-888888888888`, object ID `77777777-7777-7777-7777-777777777777`) through the instance metadata service'
    )
    managed.signedIn = {
      ...managed.signedIn,
      resourceId: '/subscriptions/s/resourceGroups/runners/providers/Microsoft.Compute/virtualMachineScaleSets/runner-vmss'
    }
    expect(buildSummary(managed)).toContain('the system-assigned managed identity of scale set `runner-vmss`')
    const workload = recordFor('attach')
    workload.signedIn = { ...SIGNED_IN, method: 'workload-identity', subject: 'system:serviceaccount:arc-runners:runner' }
    expect(buildSummary(workload)).toContain('with workload identity as service account `arc-runners/runner`')
  })
  it('says how the run tried to sign in when it did not get that far', () => {
    const record = recordFor('attach')
    record.signedIn = undefined
    record.error = new Error('AADSTS70021')
    expect(buildSummary(record)).toContain('| Sign-in | GitHub OIDC as client `88888888-8888-8888-8888-888888888888`, not completed |')
  })
  it('shows the error of a failed run', () => {
    const record = recordFor('attach')
    record.error = new Error('Could not create the AcrPull role assignment')
    expect(buildSummary(record)).toContain('❌ failed')
    expect(buildSummary(record)).toContain('Could not create the AcrPull role assignment')
  })
})
