/**
 * Discovery, legacy form. kubectl 1.32 asks for aggregated discovery
 * (`Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,...,application/json`)
 * and falls back to walking `/api`, `/apis` and each group version when the
 * answer is plain `application/json`, which is what the twin sends.
 */
import { createHash } from 'node:crypto'
import { RESOURCES, VERBS, groupVersion, groupVersions } from './resources.ts'
import type { ResourceDef } from './resources.ts'

export function versionInfo(kubernetesVersion: string) {
  const [major, minor] = kubernetesVersion.split('.')
  return {
    major,
    minor,
    gitVersion: `v${kubernetesVersion}`,
    gitCommit: createHash('sha1').update(kubernetesVersion).digest('hex'),
    gitTreeState: 'clean',
    buildDate: '2025-07-16T09:17:51Z',
    goVersion: 'go1.23.10',
    compiler: 'gc',
    platform: 'linux/amd64'
  }
}

export const apiVersions = (serverAddress: string) => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }]
})

export function apiGroupList() {
  const groups = groupVersions()
    .filter((g) => g.group)
    .map(({ group, version }) => ({
      name: group,
      versions: [{ groupVersion: `${group}/${version}`, version }],
      preferredVersion: { groupVersion: `${group}/${version}`, version }
    }))
  return { kind: 'APIGroupList', apiVersion: 'v1', groups }
}

export function apiGroup(group: string) {
  const gv = groupVersions().find((g) => g.group === group)
  if (!gv) return undefined
  const v = { groupVersion: `${group}/${gv.version}`, version: gv.version }
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [v], preferredVersion: v }
}

const storageHash = (r: ResourceDef) => createHash('sha256').update(`${r.group}/${r.version}/${r.kind}`).digest('base64').slice(0, 11)

/** Kind and verbs as the real server lists each subresource (`pods/attach` is PodAttachOptions, create and get). */
function subresourceEntry(r: ResourceDef, sub: string): Record<string, unknown> {
  const base = { name: `${r.plural}/${sub}`, singularName: '', namespaced: r.namespaced }
  switch (sub) {
    case 'scale':
      return { ...base, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] }
    case 'log':
      return { ...base, kind: r.kind, verbs: ['get'] }
    case 'attach':
      return { ...base, kind: 'PodAttachOptions', verbs: ['create', 'get'] }
    default:
      return { ...base, kind: r.kind, verbs: ['get', 'patch', 'update'] }
  }
}

export function resourceList(group: string, version: string) {
  const rs = RESOURCES.filter((r) => r.group === group && r.version === version)
  if (!rs.length) return undefined
  const resources: Record<string, unknown>[] = []
  for (const r of rs) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
      storageVersionHash: storageHash(r)
    })
    for (const sub of r.subresources) resources.push(subresourceEntry(r, sub))
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources }
}

export { groupVersion }
