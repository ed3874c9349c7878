import type { TwinResponse } from '../http.ts'
import type { Manifest, RegistryContent } from './content.ts'
import { resolve } from './content.ts'

/**
 * The OCI distribution answers every registry gives, with each registry's own
 * error texts (they differ, and clients show them to people).
 */
export type Flavor = 'acr' | 'mcr' | 'dockerhub' | 'quay'

const API = { 'Docker-Distribution-Api-Version': 'registry/2.0' }

export function distError(status: number, code: string, message: string, detail: unknown, headers?: Record<string, string>): TwinResponse {
  return {
    status,
    headers: { ...API, 'content-type': 'application/json; charset=utf-8', ...headers },
    body: { errors: [{ code, message, detail }] }
  }
}

/** The 401 body for a repository action the caller's token does not carry. */
export function unauthorizedBody(flavor: Flavor, repo: string, action: string): { code: string; message: string; detail: unknown } {
  switch (flavor) {
    case 'dockerhub':
      return {
        code: 'UNAUTHORIZED',
        message: 'authentication required',
        detail: [{ Type: 'repository', Class: '', Name: repo, Action: action }]
      }
    case 'quay':
      return { code: 'UNAUTHORIZED', message: 'access to the requested resource is not authorized', detail: {} }
    default:
      return {
        code: 'UNAUTHORIZED',
        message: 'authentication required, visit https://aka.ms/acr/authorization for more information.',
        detail: [{ Type: 'repository', Name: repo, Action: action }]
      }
  }
}

export function unauthorized(flavor: Flavor, repo: string, action: string, challenge: string): TwinResponse {
  const b = unauthorizedBody(flavor, repo, action)
  return distError(401, b.code, b.message, b.detail, { 'WWW-Authenticate': challenge })
}

export function manifestUnknown(flavor: Flavor, reference: string): TwinResponse {
  const digest = reference.startsWith('sha256:')
  if (flavor === 'acr' || flavor === 'mcr') {
    return digest
      ? distError(404, 'MANIFEST_UNKNOWN', `manifest ${reference} is not found`, { Digest: reference })
      : distError(404, 'MANIFEST_UNKNOWN', `manifest tagged by "${reference}" is not found`, { Tag: reference })
  }
  if (flavor === 'quay') return distError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', {})
  return distError(404, 'MANIFEST_UNKNOWN', 'manifest unknown', digest ? null : { Tag: reference })
}

export const nameUnknown = (repo: string): TwinResponse =>
  distError(404, 'NAME_UNKNOWN', 'repository name not known to registry', { name: repo })

/** HEAD and GET of a manifest; Node drops the body of a HEAD answer but keeps Content-Length. */
export function manifestAnswer(m: Manifest): TwinResponse {
  return {
    status: 200,
    headers: { ...API, 'Content-Type': m.mediaType, 'Docker-Content-Digest': m.digest, ETag: `"${m.digest}"` },
    body: m.bytes
  }
}

/** Looks a manifest up and answers it, or the registry's 404 (unknown repository first, as registries check it first). */
export function serveManifest(flavor: Flavor, content: RegistryContent, repo: string, reference: string): TwinResponse {
  if (!content.repositories.has(repo)) return flavor === 'acr' || flavor === 'mcr' ? nameUnknown(repo) : manifestUnknown(flavor, reference)
  const m = resolve(content, repo, reference)
  return m ? manifestAnswer(m) : manifestUnknown(flavor, reference)
}

/** `GET /v2/<name>/tags/list` with the spec's `n`/`last` paging and `Link` header. */
export function tagsList(content: RegistryContent, repo: string, query: Record<string, string>, path: string): TwinResponse {
  const r = content.repositories.get(repo)
  if (!r) return nameUnknown(repo)
  return paged([...r.tags.keys()].sort(), query, path, (items) => ({ name: repo, tags: items }))
}

export function paged<T>(
  all: T[],
  query: Record<string, string>,
  path: string,
  wrap: (items: T[]) => unknown,
  keyOf = (x: T) => String(x)
): TwinResponse {
  const after = query.last
  const start = after ? all.findIndex((x) => keyOf(x) > after) : 0
  const from = start < 0 ? all.length : start
  const n = Number(query.n) > 0 ? Number(query.n) : all.length
  const items = all.slice(from, from + n)
  const more = from + n < all.length
  const headers: Record<string, string> = { ...API }
  if (more) {
    const q = new URLSearchParams({ ...query, last: keyOf(items[items.length - 1]), n: String(n) })
    headers.Link = `<${path}?${q.toString()}>; rel="next"`
  }
  return { status: 200, headers, body: wrap(items) }
}
