/**
 * The workflows under .github/workflows/, held to GitHub's own workflow parser
 * (@actions/workflow-parser, the one behind the Actions language service) and to action.yml:
 * inputs passed to `uses: ./` exist, outputs read from it exist, jobs that sign in may request an
 * OIDC token (and the self-test must not), and the reusable workflow is called as it declares.
 * Pure file reading: no network, no twin.
 */
import { describe, expect, it } from '@jest/globals'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { load } from 'js-yaml'
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser'
import { scenarioInputs } from '../../twin/scenario.ts'

const ROOT = join(import.meta.dirname, '..', '..')
const WORKFLOW_DIR = '.github/workflows'
const SELF_TEST = 'self-test.yml'
const REUSABLE = 'reusable-deploy.yml'

type Mapping = Record<string, any>

interface ActionDefinition {
  inputs: Record<string, { required?: boolean; default?: string } | null>
  outputs: Record<string, unknown>
}

interface Workflow {
  /** Repository-relative path, as `uses: ./<path>` names it. */
  path: string
  file: string
  text: string
  doc: Mapping
}

function readWorkflow(path: string, text = readFileSync(join(ROOT, path), 'utf8')): Workflow {
  return { path, file: path.split('/').pop()!, text, doc: load(text) as Mapping }
}

const action = load(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionDefinition
const workflowFiles = readdirSync(join(ROOT, WORKFLOW_DIR))
  .filter((name) => /\.ya?ml$/.test(name))
  .sort()
const workflows = workflowFiles.map((name) => readWorkflow(`${WORKFLOW_DIR}/${name}`))
const byFile = (file: string) => workflows.find((w) => w.file === file)!

// --- GitHub's parser -------------------------------------------------------------------------

type FileProvider = NonNullable<Parameters<typeof convertWorkflowTemplate>[2]>

/** Local files for `uses: ./.github/workflows/x.yml`; anything remote is an error. */
function fileProvider(files: (path: string) => string | undefined): FileProvider {
  return {
    async getFileContent(ref) {
      if ('repository' in ref) throw new Error(`remote reusable workflow ${ref.owner}/${ref.repository}/${ref.path}@${ref.version}`)
      const content = files(ref.path)
      if (content === undefined) throw new Error(`no file ${ref.path}`)
      return { name: ref.path, content }
    }
  }
}

/** Every error the parser reports: schema, expressions, and (depth 1) the called reusable workflows. */
async function parserErrors(name: string, content: string, files: (path: string) => string | undefined): Promise<string[]> {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter())
  const errors = parsed.context.errors.getErrors().map((error) => error.message)
  if (!parsed.value) return errors.length > 0 ? errors : [`${name}: the parser produced nothing`]
  const template = await convertWorkflowTemplate(parsed.context, parsed.value, fileProvider(files), { fetchReusableWorkflowDepth: 1 })
  return [...new Set([...errors, ...(template.errors ?? []).map((error) => error.Message)])]
}

const repoFile = (path: string) => {
  const full = join(ROOT, path)
  return existsSync(full) ? readFileSync(full, 'utf8') : undefined
}

// --- Our checks, as pure functions so the negative tests can feed them broken workflows --------

const jobsOf = (wf: Workflow): [string, Mapping][] => Object.entries((wf.doc.jobs ?? {}) as Mapping)
const stepsOf = (job: Mapping): Mapping[] => (Array.isArray(job.steps) ? job.steps : [])
const isActionStep = (step: Mapping) => step.uses === './'
const reusableRef = (job: Mapping): string | undefined =>
  typeof job.uses === 'string' && job.uses.startsWith('./') ? job.uses.slice(2) : undefined

/** Every string anywhere under `node` (keys included), for expression references. */
function stringsIn(node: unknown): string[] {
  if (typeof node === 'string') return [node]
  if (Array.isArray(node)) return node.flatMap(stringsIn)
  if (node && typeof node === 'object') return Object.entries(node).flatMap(([key, value]) => [key, ...stringsIn(value)])
  return []
}

/** `<prefix>.<id>.outputs.<name>` and `<prefix>.<id>.outputs['<name>']` references. */
function outputReferences(node: unknown, prefix: 'steps' | 'needs' | 'jobs'): { id: string; name: string }[] {
  const pattern = new RegExp(`\\b${prefix}\\.([A-Za-z_][\\w-]*)\\.outputs(?:\\.([A-Za-z_][\\w-]*)|\\[\\s*'([^']+)'\\s*\\])`, 'g')
  return stringsIn(node).flatMap((text) => [...text.matchAll(pattern)].map((m) => ({ id: m[1], name: m[2] ?? m[3] })))
}

/** The permissions in force for a job: its own, else the workflow's. */
const permissionsOf = (wf: Workflow, job: Mapping): unknown => (job.permissions !== undefined ? job.permissions : wf.doc.permissions)
const grantsIdToken = (permissions: unknown) =>
  permissions === 'write-all' ||
  (typeof permissions === 'object' && permissions !== null && (permissions as Mapping)['id-token'] === 'write')

/** Inputs passed to the action and outputs read from it, per job. */
function actionUseProblems(wf: Workflow, def: ActionDefinition): string[] {
  const problems: string[] = []
  const declaredInputs = Object.keys(def.inputs ?? {})
  const requiredInputs = Object.entries(def.inputs ?? {})
    .filter(([, spec]) => spec?.required === true && spec.default === undefined)
    .map(([name]) => name)
  for (const [jobId, job] of jobsOf(wf)) {
    const steps = stepsOf(job)
    const stepIds = new Set(steps.map((step) => step.id).filter((id): id is string => typeof id === 'string'))
    const actionStepIds = new Set(
      steps
        .filter(isActionStep)
        .map((step) => step.id)
        .filter((id): id is string => typeof id === 'string')
    )
    for (const [index, step] of steps.entries()) {
      if (!isActionStep(step)) continue
      const where = `${wf.file} jobs.${jobId} step ${step.id ?? index}`
      const given = Object.keys((step.with ?? {}) as Mapping)
      for (const name of given) {
        if (!declaredInputs.includes(name)) problems.push(`${where}: input '${name}' is not declared in action.yml`)
      }
      for (const name of requiredInputs) {
        if (!given.includes(name)) problems.push(`${where}: required input '${name}' is missing`)
      }
    }
    for (const { id, name } of outputReferences(job, 'steps')) {
      if (!stepIds.has(id)) problems.push(`${wf.file} jobs.${jobId}: steps.${id} is not a step of this job`)
      else if (actionStepIds.has(id) && !(name in (def.outputs ?? {}))) {
        problems.push(`${wf.file} jobs.${jobId}: steps.${id}.outputs.${name} is not an output declared in action.yml`)
      }
    }
  }
  return problems
}

/** Does any job of `wf` run the action (directly, or through a local reusable workflow)? */
function signsIn(job: Mapping, open: (path: string) => Workflow | undefined): boolean {
  if (stepsOf(job).some(isActionStep)) return true
  const ref = reusableRef(job)
  const called = ref ? open(ref) : undefined
  return called !== undefined && jobsOf(called).some(([, calledJob]) => signsIn(calledJob, () => undefined))
}

/** Jobs that sign in must be able to request an OIDC token; the self-test must not (see self-test.yml). */
function permissionProblems(wf: Workflow, open: (path: string) => Workflow | undefined): string[] {
  const problems: string[] = []
  for (const [jobId, job] of jobsOf(wf)) {
    if (!signsIn(job, open)) continue
    const granted = grantsIdToken(permissionsOf(wf, job))
    if (wf.file === SELF_TEST && granted) {
      problems.push(`${wf.file} jobs.${jobId}: must not have id-token: write (the runner would replace the twin's OIDC variables)`)
    } else if (wf.file !== SELF_TEST && !granted) {
      problems.push(`${wf.file} jobs.${jobId}: signs in to Azure but lacks permissions: id-token: write`)
    }
  }
  return problems
}

/** Call sites of local reusable workflows pass only declared inputs and read only declared outputs. */
function callSiteProblems(wf: Workflow, open: (path: string) => Workflow | undefined): string[] {
  const problems: string[] = []
  for (const [jobId, job] of jobsOf(wf)) {
    const ref = reusableRef(job)
    if (!ref) continue
    const called = open(ref)
    const where = `${wf.file} jobs.${jobId}`
    if (!called) {
      problems.push(`${where}: ${ref} does not exist`)
      continue
    }
    const on = called.doc.on as Mapping | undefined
    const def = (on && typeof on === 'object' ? on.workflow_call : undefined) as Mapping | null | undefined
    if (def === undefined) {
      problems.push(`${where}: ${ref} has no workflow_call trigger`)
      continue
    }
    const inputs = (def?.inputs ?? {}) as Mapping
    const secrets = (def?.secrets ?? {}) as Mapping
    const outputs = (def?.outputs ?? {}) as Mapping
    const given = Object.keys((job.with ?? {}) as Mapping)
    for (const name of given) {
      if (!(name in inputs)) problems.push(`${where}: input '${name}' is not declared by ${ref}`)
    }
    for (const [name, spec] of Object.entries(inputs)) {
      if ((spec as Mapping)?.required === true && !given.includes(name))
        problems.push(`${where}: required input '${name}' of ${ref} is missing`)
    }
    if (job.secrets !== undefined && job.secrets !== 'inherit') {
      for (const name of Object.keys(job.secrets as Mapping)) {
        if (!(name in secrets)) problems.push(`${where}: secret '${name}' is not declared by ${ref}`)
      }
    }
    for (const [otherId, other] of jobsOf(wf)) {
      for (const { id, name } of outputReferences(other, 'needs')) {
        if (id === jobId && !(name in outputs))
          problems.push(`${wf.file} jobs.${otherId}: needs.${jobId}.outputs.${name} is not an output of ${ref}`)
      }
    }
  }
  return problems
}

/** A workflow_call's outputs map to outputs its jobs declare. */
function reusableOutputProblems(wf: Workflow): string[] {
  const on = wf.doc.on as Mapping | undefined
  const outputs = (on && typeof on === 'object' ? on.workflow_call?.outputs : undefined) as Mapping | undefined
  const problems: string[] = []
  for (const [name, spec] of Object.entries(outputs ?? {})) {
    for (const { id, name: jobOutput } of outputReferences((spec as Mapping)?.value, 'jobs')) {
      const job = (wf.doc.jobs as Mapping | undefined)?.[id] as Mapping | undefined
      if (!job) problems.push(`${wf.file} output '${name}': jobs.${id} does not exist`)
      else if (!(jobOutput in ((job.outputs ?? {}) as Mapping)))
        problems.push(`${wf.file} output '${name}': jobs.${id} has no output '${jobOutput}'`)
    }
  }
  return problems
}

/** `manifests` given literally name files that exist (so the copied examples run as they are). */
function manifestProblems(wf: Workflow): string[] {
  const problems: string[] = []
  for (const [jobId, job] of jobsOf(wf)) {
    const withs = [
      job.with,
      ...stepsOf(job)
        .filter(isActionStep)
        .map((step) => step.with)
    ] as (Mapping | undefined)[]
    for (const value of withs.map((w) => w?.manifests)) {
      if (typeof value !== 'string' || value.includes('${{')) continue
      for (const entry of value
        .split(/[\n,]+/)
        .map((e) => e.trim())
        .filter(Boolean)) {
        if (!/[*?[]/.test(entry) && !existsSync(join(ROOT, entry)))
          problems.push(`${wf.file} jobs.${jobId}: manifests '${entry}' does not exist`)
      }
    }
  }
  return problems
}

const loadLocal = (path: string) => {
  const text = repoFile(path)
  return text === undefined ? undefined : readWorkflow(path, text)
}

// --- The tests ---------------------------------------------------------------------------------

describe('workflows in .github/workflows', () => {
  it('include the copyable examples, the reusable workflow and the self-test', () => {
    expect(workflowFiles).toEqual(
      expect.arrayContaining(['ci.yml', 'example-single-job.yml', 'example-matrix.yml', REUSABLE, 'example-call-reusable.yml', SELF_TEST])
    )
  })

  it.each(workflowFiles)('%s: GitHub’s workflow parser reports no error', async (file) => {
    const wf = byFile(file)
    expect(await parserErrors(wf.path, wf.text, repoFile)).toEqual([])
  })

  it.each(workflowFiles)('%s: passes only declared inputs to the action and reads only declared outputs', (file) => {
    expect(actionUseProblems(byFile(file), action)).toEqual([])
  })

  it.each(workflowFiles)('%s: jobs that sign in have id-token: write (the self-test must not)', (file) => {
    expect(permissionProblems(byFile(file), loadLocal)).toEqual([])
  })

  it.each(workflowFiles)('%s: calls reusable workflows with declared inputs and reads declared outputs', (file) => {
    expect(callSiteProblems(byFile(file), loadLocal)).toEqual([])
    expect(reusableOutputProblems(byFile(file))).toEqual([])
  })

  it.each(workflowFiles)('%s: literal manifests paths exist', (file) => {
    expect(manifestProblems(byFile(file))).toEqual([])
  })

  it('every example that uses the action is run by hand and says what to replace', () => {
    for (const file of ['example-single-job.yml', 'example-matrix.yml', 'example-call-reusable.yml']) {
      const wf = byFile(file)
      expect(Object.keys(wf.doc.on as Mapping)).toEqual(['workflow_dispatch'])
      expect(wf.text).toMatch(/OWNER\/aks-acr-action@v1|reusable-deploy\.yml/)
    }
  })

  it('the single-job example attaches, imports and deploys with the sign-in from vars', () => {
    const [, job] = jobsOf(byFile('example-single-job.yml'))[0]
    expect(permissionsOf(byFile('example-single-job.yml'), job)).toEqual({ 'id-token': 'write', contents: 'read' })
    const step = stepsOf(job).find(isActionStep)!
    expect(step.with.mode).toBe('attach, import, deploy')
    expect(step.with['client-id']).toBe('${{ vars.AZURE_CLIENT_ID }}')
    expect(step.with['tenant-id']).toBe('${{ vars.AZURE_TENANT_ID }}')
    expect(step.with['subscription-id']).toBe('${{ vars.AZURE_SUBSCRIPTION_ID }}')
  })

  it('the matrix example runs dev, staging and prod each in its environment, without fail-fast, one at a time per environment', () => {
    const [, job] = jobsOf(byFile('example-matrix.yml'))[0]
    expect(job.strategy.matrix.environment).toEqual(['dev', 'staging', 'prod'])
    expect(job.strategy['fail-fast']).toBe(false)
    expect(job.environment).toBe('${{ matrix.environment }}')
    expect(job.concurrency.group).toContain('${{ matrix.environment }}')
    for (const name of ['dev', 'staging', 'prod'])
      expect(byFile('example-matrix.yml').text).toContain(`repo:OWNER/REPO:environment:${name}`)
  })

  it('the reusable workflow has typed inputs, no secrets, and maps the action’s outputs', () => {
    const wf = byFile(REUSABLE)
    const call = (wf.doc.on as Mapping).workflow_call as Mapping
    for (const [name, spec] of Object.entries(call.inputs as Mapping))
      expect([name, typeof (spec as Mapping).type]).toEqual([name, 'string'])
    expect(call.secrets).toBeUndefined()
    expect(wf.text).not.toMatch(/\$\{\{\s*secrets\./)
    expect(Object.keys(call.outputs as Mapping).sort()).toEqual(['changed', 'deployed', 'images', 'login-server', 'ready'])
    // Each output is the action's output of the same name, through the job's output of that name.
    const [jobId, job] = jobsOf(wf)[0]
    const actionStep = stepsOf(job).find(isActionStep)!
    for (const [name, spec] of Object.entries(call.outputs as Mapping)) {
      expect((spec as Mapping).value).toBe(`\${{ jobs.${jobId}.outputs.${name} }}`)
      expect(job.outputs[name]).toBe(`\${{ steps.${actionStep.id}.outputs.${name} }}`)
    }
    expect(wf.text).toMatch(/id-token: write/)
  })

  it('the caller grants id-token: write and uses the outputs in a later job', () => {
    const wf = byFile('example-call-reusable.yml')
    const jobs = jobsOf(wf)
    const caller = jobs.find(([, job]) => reusableRef(job) === `${WORKFLOW_DIR}/${REUSABLE}`)
    expect(caller).toBeDefined()
    expect(caller![1].permissions).toEqual({ 'id-token': 'write', contents: 'read' })
    const later = jobs.filter(([, job]) => [job.needs].flat().includes(caller![0]))
    expect(later.flatMap(([, job]) => outputReferences(job, 'needs')).length).toBeGreaterThan(0)
  })

  it('the self-test runs attach, import, deploy and detach with `uses: ./` against the twin, on every push and pull request', () => {
    const wf = byFile(SELF_TEST)
    expect(Object.keys(wf.doc.on as Mapping).sort()).toEqual(['pull_request', 'push'])
    const [, job] = jobsOf(wf)[0]
    expect(grantsIdToken(wf.doc.permissions)).toBe(false)
    expect(grantsIdToken(job.permissions)).toBe(false)
    const modes = stepsOf(job)
      .filter(isActionStep)
      .map((step) => step.with.mode)
    expect(modes).toEqual(['attach', 'import', 'deploy', 'detach'])
    const run = stepsOf(job)
      .map((step) => String(step.run ?? ''))
      .join('\n')
    expect(run).toContain('npm ci')
    expect(run).toContain('node_modules/.bin/node twin/cli.ts > twin.json')
    for (const name of ['GITHUB_ENV', 'GITHUB_OUTPUT', '::add-mask::']) expect(run).toContain(name)
    const importStep = stepsOf(job).find((step) => step.with?.mode === 'import')!
    expect(importStep.with.images).toBe('docker.io/library/nginx:latest => nginx:v1')
    const deployStep = stepsOf(job).find((step) => step.with?.mode === 'deploy')!
    expect(deployStep.with.manifests).toBe('examples/k8s/acr-nginx.yaml')
    expect(run).toMatch(/DEPLOY_READY, "true"/)
  })

  it('the self-test reads only values the twin CLI prints', () => {
    const wf = byFile(SELF_TEST)
    const [, job] = jobsOf(wf)[0]
    const twinStep = stepsOf(job).find((step) => step.id === 'twin')!
    const printed = Object.keys(scenarioInputs({ url: 'https://127.0.0.1:1' } as Parameters<typeof scenarioInputs>[0]))
    const fromScenario = ['registry-id', 'kubelet-object-id']
    for (const { id, name } of outputReferences(job, 'steps')) {
      if (id !== 'twin') continue
      expect([name, printed.includes(name) || fromScenario.includes(name)]).toEqual([name, true])
      expect(twinStep.run).toContain(`"${name}"`)
    }
  })

  it('the seed manifest is the walkthrough’s two-replica nginx Deployment from <acr-name>.azurecr.io', () => {
    const manifest = load(readFileSync(join(ROOT, 'examples/k8s/acr-nginx.yaml'), 'utf8')) as Mapping
    expect(manifest.kind).toBe('Deployment')
    expect(manifest.spec.replicas).toBe(2)
    expect(manifest.spec.template.spec.containers[0].image).toBe('<acr-name>.azurecr.io/nginx:v1')
  })
})

describe('the checks catch what they are for', () => {
  const broken = (text: string, path = `${WORKFLOW_DIR}/broken.yml`) => readWorkflow(path, text)

  it('the parser reports schema, value and expression-context errors', async () => {
    const errors = await parserErrors(
      'broken.yml',
      [
        'on: push',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-latest',
        '    permissions:',
        '      id-token: writ',
        '    stepz: []',
        '    steps:',
        '      - run: echo ${{ secret.TOKEN }}'
      ].join('\n'),
      () => undefined
    )
    expect(errors.join('\n')).toMatch(/Unexpected value 'writ'/)
    expect(errors.join('\n')).toMatch(/Unexpected value 'stepz'/)
    expect(errors.join('\n')).toMatch(/Unrecognized named-value: 'secret'/)
  })

  it('the parser checks a local reusable workflow call against the called file', async () => {
    const called =
      'on:\n  workflow_call:\n    inputs:\n      cluster:\n        type: string\n        required: true\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n'
    const caller = 'on: push\njobs:\n  call:\n    uses: ./.github/workflows/called.yml\n    with:\n      clustr: a\n'
    const errors = await parserErrors('caller.yml', caller, (path) => (path === '.github/workflows/called.yml' ? called : undefined))
    expect(errors.join('\n')).toMatch(/Invalid input, clustr is not defined in the referenced workflow/)
    expect(errors.join('\n')).toMatch(/Input cluster is required/)
    const missing = await parserErrors('caller.yml', caller, () => undefined)
    expect(missing.join('\n')).toMatch(/Unable to find reusable workflow/)
  })

  it('an undeclared input, a missing required input and an undeclared output are reported', () => {
    const wf = broken(
      [
        'on: push',
        'permissions:',
        '  id-token: write',
        'jobs:',
        '  a:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - id: acr',
        '        uses: ./',
        '        with:',
        '          clustr: x',
        '      - run: echo "${{ steps.acr.outputs.loginserver }} ${{ steps.acr.outputs[\'login-server\'] }} ${{ steps.nope.outputs.x }}"'
      ].join('\n')
    )
    expect(actionUseProblems(wf, action)).toEqual([
      "broken.yml jobs.a step acr: input 'clustr' is not declared in action.yml",
      "broken.yml jobs.a step acr: required input 'registry' is missing",
      'broken.yml jobs.a: steps.acr.outputs.loginserver is not an output declared in action.yml',
      'broken.yml jobs.a: steps.nope is not a step of this job'
    ])
  })

  it('a job that signs in without id-token: write is reported, and so is a self-test that has it', () => {
    const job = 'jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./\n        with:\n          registry: r\n'
    expect(permissionProblems(broken(`on: push\npermissions:\n  contents: read\n${job}`), () => undefined)).toEqual([
      'broken.yml jobs.a: signs in to Azure but lacks permissions: id-token: write'
    ])
    expect(permissionProblems(broken(`on: push\npermissions: write-all\n${job}`), () => undefined)).toEqual([])
    expect(
      permissionProblems(broken(`on: push\npermissions:\n  id-token: write\n${job}`, `${WORKFLOW_DIR}/${SELF_TEST}`), () => undefined)
    ).toEqual(["self-test.yml jobs.a: must not have id-token: write (the runner would replace the twin's OIDC variables)"])
    // A caller of a workflow that signs in must grant it too.
    const caller = broken(`on: push\njobs:\n  call:\n    uses: ./${WORKFLOW_DIR}/${REUSABLE}\n`)
    expect(permissionProblems(caller, loadLocal)).toEqual([
      'broken.yml jobs.call: signs in to Azure but lacks permissions: id-token: write'
    ])
  })

  it('a reusable workflow call with an undeclared input or output is reported', () => {
    const caller = broken(
      [
        'on: push',
        'jobs:',
        '  deploy:',
        `    uses: ./${WORKFLOW_DIR}/${REUSABLE}`,
        '    with:',
        '      cluster: c',
        '      registry: r',
        '      subscription-id: s',
        '      tenant-id: t',
        '      client-id: i',
        '      clustr: c',
        '  after:',
        '    needs: deploy',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - run: echo "${{ needs.deploy.outputs.ready }} ${{ needs.deploy.outputs.role }}"'
      ].join('\n')
    )
    expect(callSiteProblems(caller, loadLocal)).toEqual([
      `broken.yml jobs.deploy: input 'clustr' is not declared by ${WORKFLOW_DIR}/${REUSABLE}`,
      `broken.yml jobs.after: needs.deploy.outputs.role is not an output of ${WORKFLOW_DIR}/${REUSABLE}`
    ])
  })
})
