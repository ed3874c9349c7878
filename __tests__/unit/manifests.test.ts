import { describe, expect, it } from '@jest/globals'
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadManifests } from '../../src/kube/manifests.js'
import { rewriteImages } from '../../src/plan/deploy.js'

function workspace(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'manifests-'))
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true })
    writeFileSync(join(root, path), text)
  }
  return root
}

describe('manifests', () => {
  it('read multi-document YAML with comments, empty documents and a trailing ---, keeping unknown fields', async () => {
    const root = workspace({
      'k8s/app.yaml':
        '# comment\n---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\nx-unknown: {keep: me}\n---\n# only a comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: b\n---\n'
    })
    const manifests = await loadManifests(['k8s/app.yaml'], root)
    expect(manifests.map((m) => m.object.metadata.name)).toEqual(['a', 'b'])
    expect(manifests[0]!.object['x-unknown']).toEqual({ keep: 'me' })
    expect(manifests[0]!.origin).toBe('k8s/app.yaml#2')
  })
  it('expand directories and globs, and List kinds', async () => {
    const root = workspace({
      'k8s/a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n',
      'k8s/sub/b.yml':
        'apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b1}}\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b2}}\n',
      'k8s/readme.md': 'not a manifest'
    })
    expect((await loadManifests(['k8s'], root)).map((m) => m.object.metadata.name)).toEqual(['a', 'b1', 'b2'])
    expect((await loadManifests(['k8s/**/*.yml'], root)).map((m) => m.object.metadata.name)).toEqual(['b1', 'b2'])
  })
  it('refuse paths and links that leave the workspace, and objects without names', async () => {
    const root = workspace({ 'k8s/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n' })
    symlinkSync('/etc', join(root, 'escape'))
    await expect(loadManifests(['../outside.yaml'], root)).rejects.toThrow('outside the workspace')
    await expect(loadManifests(['escape/hostname'], root)).rejects.toThrow('outside the workspace')
    await expect(loadManifests(['k8s/bad.yaml'], root)).rejects.toThrow('has no metadata.name')
    await expect(loadManifests(['k8s/missing.yaml'], root)).rejects.toThrow('does not exist')
  })
})

describe('image rewriting', () => {
  const registry = { name: 'myacr', loginServer: 'myacr-abc123.azurecr.io' }
  const deployment = (image: string) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { template: { spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'main', image }] } } }
  })
  it('points the placeholder and the name-based host at the real login server, pinning imported tags', () => {
    const digests = new Map([['nginx:v1', `sha256:${'a'.repeat(64)}`]])
    const { objects, rewrites } = rewriteImages(
      [deployment('<acr-name>.azurecr.io/nginx:v1'), deployment('MYACR.azurecr.io/app:2')],
      registry,
      'azurecr.io',
      digests
    )
    expect((objects[0]!.spec as any).template.spec.containers[0].image).toBe(`myacr-abc123.azurecr.io/nginx:v1@sha256:${'a'.repeat(64)}`)
    expect((objects[1]!.spec as any).template.spec.containers[0].image).toBe('myacr-abc123.azurecr.io/app:2')
    expect((objects[0]!.spec as any).template.spec.initContainers[0].image).toBe('busybox')
    expect(rewrites).toHaveLength(2)
  })
  it('leaves other registries and the input objects alone', () => {
    const original = deployment('otheracr.azurecr.io/app:1')
    const { objects, rewrites } = rewriteImages([original], registry, 'azurecr.io', new Map())
    expect(rewrites).toEqual([])
    expect(objects[0]).toEqual(original)
    expect(objects[0]).not.toBe(original)
  })
})
