import { describe, expect, it } from '@jest/globals'
import { parseImports, parseImportMode } from '../../src/settings/imports.js'
import { parseImageReference } from '../../src/settings/image-reference.js'
import { InputError } from '../../src/errors.js'
import { planImports } from '../../src/plan/import-plan.js'
import type { ImportDiscovery, SourceState } from '../../src/plan/import-discovery.js'

const DIGEST_A = `sha256:${'a'.repeat(64)}`
const DIGEST_B = `sha256:${'b'.repeat(64)}`

describe('image references', () => {
  it('read a bare name as Docker Hub library/...:latest-less', () => {
    expect(parseImageReference('nginx')).toEqual({ registry: 'docker.io', repository: 'library/nginx', tag: undefined, digest: undefined })
  })
  it('keep a registry host with a dot or a port', () => {
    expect(parseImageReference('mcr.microsoft.com/dotnet/runtime:8.0')).toMatchObject({
      registry: 'mcr.microsoft.com',
      repository: 'dotnet/runtime',
      tag: '8.0'
    })
    expect(parseImageReference('localhost:5000/app@' + DIGEST_A)).toMatchObject({
      registry: 'localhost:5000',
      repository: 'app',
      digest: DIGEST_A
    })
  })
  it('treat user/repo as Docker Hub', () => {
    expect(parseImageReference('bitnami/redis:7')).toMatchObject({ registry: 'docker.io', repository: 'bitnami/redis' })
  })
  it('say what is wrong', () => {
    expect(parseImageReference('NGINX')).toContain('not a valid repository name component')
    expect(parseImageReference('app@sha256:123')).toContain('not a sha256 digest')
  })
})

describe('images input', () => {
  it('parses sources, default targets, several targets, comments and blank lines', () => {
    const specs = parseImports(
      [
        '# base images',
        'docker.io/library/nginx:latest => nginx:v1',
        '',
        'mcr.microsoft.com/dotnet/runtime:8.0',
        `myregistry.azurecr.io/app@${DIGEST_A} => app:1.4.2, app:stable`
      ].join('\n')
    )
    expect(specs.map((s) => s.line)).toEqual([2, 4, 5])
    expect(specs[0]!.targets).toEqual([{ repository: 'nginx', tag: 'v1' }])
    expect(specs[1]!.targets).toEqual([{ repository: 'dotnet/runtime', tag: '8.0' }])
    expect(specs[2]!.source).toMatchObject({ registry: 'myregistry.azurecr.io', repository: 'app', digest: DIGEST_A, tag: undefined })
    expect(specs[2]!.targets).toEqual([
      { repository: 'app', tag: '1.4.2' },
      { repository: 'app', tag: 'stable' }
    ])
  })
  it('defaults a bare source to Docker Hub library/<name>:latest, keeping repository and tag', () => {
    expect(parseImports('nginx')[0]).toMatchObject({
      source: { registry: 'docker.io', repository: 'library/nginx', tag: 'latest' },
      targets: [{ repository: 'library/nginx', tag: 'latest' }]
    })
  })
  it('imports a digest source without target untagged into its repository', () => {
    expect(parseImports(`mcr.microsoft.com/oss/nginx/nginx@${DIGEST_B}`)[0]!.targets).toEqual([
      { repository: 'oss/nginx/nginx', tag: undefined }
    ])
  })
  it('takes a source registry by resource ID', () => {
    const [spec] = parseImports(
      '/subscriptions/11111111-2222-3333-4444-555555555555/resourceGroups/dev/providers/Microsoft.ContainerRegistry/registries/devacr01/app:1.4.2 => app:1.4.2'
    )
    expect(spec!.sourceRegistryId?.name).toBe('devacr01')
    expect(spec!.source).toMatchObject({ repository: 'app', tag: '1.4.2' })
  })
  it.each([
    ['nginx:latest => ', 'a target is empty'],
    ['nginx => a => b', "one '=>'"],
    ['Nginx:latest', 'not a valid repository name component'],
    ['nginx => otheracr.azurecr.io/nginx:v1', 'names a registry'],
    [`nginx => app@${DIGEST_A}`, 'cannot have a digest'],
    ['nginx => app:v1\nredis => app:v1', 'already written by line 1']
  ])('refuses %j naming the line', (text, problem) => {
    try {
      parseImports(text)
      throw new Error('expected a refusal')
    } catch (error) {
      expect(error).toBeInstanceOf(InputError)
      expect((error as InputError).input).toBe('images')
      expect((error as Error).message).toMatch(/line \d/)
      expect((error as Error).message).toContain(problem)
    }
  })
  it('knows the import modes', () => {
    expect(parseImportMode('')).toBe('skip-existing')
    expect(() => parseImportMode('overwrite')).toThrow("Input 'import-mode'")
  })
})

describe('import plan', () => {
  const [spec] = parseImports('nginx:latest => nginx:v1, nginx:stable')
  const source: SourceState = {
    spec: spec!,
    acr: undefined,
    display: 'docker.io/library/nginx:latest',
    digest: DIGEST_A,
    problem: undefined
  }
  const discovery = (existing: Record<string, string>): ImportDiscovery => ({
    sources: [source],
    targetDigests: new Map(Object.entries(existing)),
    targetsRead: true
  })

  it('writes missing tags and leaves tags with the same digest (skip-existing)', () => {
    const [decision] = planImports(discovery({ 'nginx:stable': DIGEST_A }), 'skip-existing')
    expect(decision!.write).toEqual([{ repository: 'nginx', tag: 'v1' }])
    expect(decision!.upToDate).toEqual([{ repository: 'nginx', tag: 'stable' }])
    expect(decision!.refusal).toBeUndefined()
  })
  it('refuses a tag that points at another digest, unless forced', () => {
    expect(planImports(discovery({ 'nginx:v1': DIGEST_B }), 'skip-existing')[0]!.refusal).toContain(`nginx:v1 already exists (${DIGEST_B})`)
    expect(planImports(discovery({ 'nginx:v1': DIGEST_B }), 'force')[0]!).toMatchObject({ write: spec!.targets, force: true })
  })
  it('refuses any existing tag with fail-existing', () => {
    expect(planImports(discovery({ 'nginx:stable': DIGEST_A }), 'fail-existing')[0]!.refusal).toContain('fail-existing')
  })
  it('refuses a source already known to be unimportable', () => {
    const missing = { ...source, problem: 'line 1: source does not exist' }
    expect(planImports({ sources: [missing], targetDigests: new Map(), targetsRead: true }, 'skip-existing')[0]!.refusal).toBe(
      'line 1: source does not exist'
    )
  })
})
