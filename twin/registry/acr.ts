import type { TwinRequest, TwinResponse } from '../http.ts'
import type { Registry, TwinState } from '../state.ts'
import type { Manifest, Repository } from './content.ts'
import { resolve, tagsOf } from './content.ts'
import { distError, nameUnknown, paged, serveManifest, tagsList, unauthorized } from './distribution.ts'
import { allows, bearerOf } from './tokens.ts'
import type { RegistryTokens } from './tokens.ts'
import type { Claims } from '../jwt.ts'

/**
 * ACR's content routes: the distribution API under `/v2/` and ACR's own
 * metadata API under `/acr/v1/` (what `@azure/container-registry` calls).
 * Every one wants an ACR access token whose `access` claim carries the scope
 * named in its challenge: `pull` for manifests, `metadata_read` for tags and
 * repository properties (pull alone does not list tags on ACR), and
 * `registry:catalog:*` for the catalog.
 */
export interface AcrDeps {
  state: TwinState
  tokens: RegistryTokens
}

const ATTRS = { deleteEnabled: true, writeEnabled: true, readEnabled: true, listEnabled: true }

const challenge = (host: string, scope?: string) =>
  `Bearer realm="https://${host}/oauth2/token",service="${host}"${scope ? `,scope="${scope}"` : ''}`

function tagJson(repo: Repository, name: string) {
  const t = repo.tags.get(name)!
  return { name, digest: t.digest, createdTime: t.createdOn, lastUpdateTime: t.lastUpdatedOn, signed: false, changeableAttributes: ATTRS }
}

function manifestJson(repo: Repository, m: Manifest, all: Map<string, Manifest>) {
  return {
    digest: m.digest,
    imageSize: m.imageSize,
    createdTime: m.createdOn,
    lastUpdateTime: m.createdOn,
    mediaType: m.mediaType,
    ...(m.platform ? { architecture: m.platform.architecture, os: m.platform.os } : {}),
    ...(m.references.length
      ? {
          references: m.references.map((d) => ({
            digest: d,
            architecture: all.get(d)?.platform?.architecture,
            os: all.get(d)?.platform?.os
          }))
        }
      : {}),
    tags: tagsOf(repo, m.digest),
    changeableAttributes: ATTRS
  }
}

/** `/acr/v1/...`: repository properties, tags and manifests. */
function metadata(reg: Registry, state: TwinState, req: TwinRequest, repoName: string, rest: string): TwinResponse {
  const content = state.contentOf(reg.loginServer)
  const repo = content.repositories.get(repoName)
  if (!repo) return nameUnknown(repoName)
  const base = { registry: reg.loginServer, imageName: repoName }
  if (rest === '') {
    return {
      status: 200,
      body: {
        ...base,
        createdTime: repo.createdOn,
        lastUpdateTime: repo.lastUpdatedOn,
        manifestCount: repo.manifests.size,
        tagCount: repo.tags.size,
        changeableAttributes: ATTRS
      }
    }
  }
  if (rest === '/_tags') {
    const ordered = [...repo.tags.keys()].sort()
    if (req.query.orderby === 'timedesc' || req.query.orderby === 'timeasc') {
      ordered.sort((a, b) => repo.tags.get(a)!.lastUpdatedOn.localeCompare(repo.tags.get(b)!.lastUpdatedOn))
      if (req.query.orderby === 'timedesc') ordered.reverse()
    }
    const names = req.query.digest ? ordered.filter((n) => repo.tags.get(n)!.digest === req.query.digest) : ordered
    return paged(names, req.query, req.path, (items) => ({ ...base, tags: items.map((n) => tagJson(repo, n)) }))
  }
  let m: RegExpExecArray | null
  if ((m = /^\/_tags\/([^/]+)$/.exec(rest))) {
    return repo.tags.has(m[1])
      ? { status: 200, body: { ...base, tag: tagJson(repo, m[1]) } }
      : distError(404, 'TAG_UNKNOWN', 'the specified tag does not exist', null)
  }
  if (rest === '/_manifests') {
    const all = [...repo.manifests].map((d) => content.manifests.get(d)!).filter(Boolean)
    return paged(
      all,
      req.query,
      req.path,
      (items) => ({ ...base, manifests: items.map((x) => manifestJson(repo, x, content.manifests)) }),
      (x) => x.digest
    )
  }
  if ((m = /^\/_manifests\/(sha256:[0-9a-f]{64})$/.exec(rest))) {
    const man = resolve(content, repoName, m[1])
    return man
      ? { status: 200, body: { ...base, manifest: manifestJson(repo, man, content.manifests) } }
      : distError(404, 'MANIFEST_UNKNOWN', `manifest ${m[1]} is not found`, { Digest: m[1] })
  }
  return distError(404, 'NOT_FOUND', 'the requested resource was not found', null)
}

/** Which scope a route needs, and the answer once the token carries it. */
interface Gate {
  type: 'repository' | 'registry'
  name: string
  action: string
  answer: () => TwinResponse
}

function gateFor(reg: Registry, state: TwinState, req: TwinRequest): Gate | undefined {
  const content = state.contentOf(reg.loginServer)
  const catalog = () => paged([...content.repositories.keys()].sort(), req.query, req.path, (items) => ({ repositories: items }))
  let m: RegExpExecArray | null
  if (req.path === '/v2/_catalog' || req.path === '/acr/v1/_catalog') {
    return { type: 'registry', name: 'catalog', action: '*', answer: catalog }
  }
  if ((m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(req.path))) {
    const [, repo, ref] = m
    return { type: 'repository', name: repo, action: 'pull', answer: () => serveManifest('acr', content, repo, ref) }
  }
  if ((m = /^\/v2\/(.+)\/tags\/list$/.exec(req.path))) {
    const repo = m[1]
    return { type: 'repository', name: repo, action: 'metadata_read', answer: () => tagsList(content, repo, req.query, req.path) }
  }
  if ((m = /^\/acr\/v1\/(.+?)(\/_tags(?:\/[^/]+)?|\/_manifests(?:\/[^/]+)?)?$/.exec(req.path))) {
    const repo = m[1]
    return { type: 'repository', name: repo, action: 'metadata_read', answer: () => metadata(reg, state, req, repo, m![2] ?? '') }
  }
  return undefined
}

export function handleAcrContent(deps: AcrDeps, req: TwinRequest, reg: Registry): TwinResponse | undefined {
  const host = req.host
  const claims: Claims | undefined = deps.tokens.verify(bearerOf(req.headers.authorization), reg.loginServer)
  if (claims) req.note.tokenOid = String(claims.sub ?? '') || undefined
  if (/^\/v2\/?$/.test(req.path)) {
    return claims
      ? { status: 200, headers: { 'Docker-Distribution-Api-Version': 'registry/2.0' }, body: {} }
      : distError(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', null, {
          'WWW-Authenticate': challenge(host)
        })
  }
  const gate = gateFor(reg, deps.state, req)
  if (!gate) return undefined
  if (req.method !== 'GET' && req.method !== 'HEAD') return distError(405, 'UNSUPPORTED', 'The operation is unsupported.', null)
  if (!allows(claims, gate.type, gate.name, gate.action)) {
    const scope = `${gate.type}:${gate.name}:${gate.action}`
    return gate.type === 'registry'
      ? distError(
          401,
          'UNAUTHORIZED',
          'authentication required, visit https://aka.ms/acr/authorization for more information.',
          [{ Type: 'registry', Name: 'catalog', Action: '*' }],
          { 'WWW-Authenticate': challenge(host, scope) }
        )
      : unauthorized('acr', gate.name, gate.action, challenge(host, scope))
  }
  return gate.answer()
}
