import { Router } from '../http.ts'
import type { TwinRequest, TwinResponse } from '../http.ts'
import type { Entra } from '../entra.ts'
import type { TwinState } from '../state.ts'
import { handleAcrAuth } from './acr-auth.ts'
import { handleAcrContent } from './acr.ts'
import { handlePublic } from './public.ts'
import { createRegistryTokens } from './tokens.ts'
import type { RegistryTokens } from './tokens.ts'

export { canPull, canListCatalog, repositoryAccess } from './permissions.ts'
export type { Decision, RepoAction } from './permissions.ts'

/** Docker distribution error body, as registries answer. */
export const registryError = (status: number, code: string, message: string, headers?: Record<string, string>): TwinResponse => ({
  status,
  headers: { 'Docker-Distribution-Api-Version': 'registry/2.0', ...headers },
  body: { errors: [{ code, message, detail: null }] }
})

export interface RegistryDeps {
  state: TwinState
  entra: Entra
  tokens?: RegistryTokens
}

/**
 * The data plane of every registry host, one router for all: requests come
 * through the proxy with their original Host, and the host picks the
 * registry (an ACR by login server, or Docker Hub, MCR, Quay).
 */
export function createRegistryRouter(deps: RegistryDeps): Router {
  const tokens = deps.tokens ?? createRegistryTokens()
  const router = new Router()
  router.on(undefined, /^\/.*/, (req: TwinRequest) => {
    const reg = deps.state.registryByLoginServer(req.host)
    const answer = reg
      ? (handleAcrAuth({ ...deps, tokens }, req, reg) ?? handleAcrContent({ state: deps.state, tokens }, req, reg))
      : handlePublic({ state: deps.state, tokens }, req)
    // A login server nobody created still challenges like ACR (a typo'd registry name looks the same to a client).
    if (!answer && !reg && /^\/v2\/?$/.test(req.path) && /\.azurecr\.(io|cn|us)$/.test(req.host)) {
      return registryError(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', {
        'WWW-Authenticate': `Bearer realm="https://${req.host}/oauth2/token",service="${req.host}"`
      })
    }
    return answer ?? registryNotFound()
  })
  return router
}

export const registryNotFound = (): TwinResponse => registryError(404, 'NOT_FOUND', 'the requested resource was not found')
