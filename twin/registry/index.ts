import { Router } from '../http.ts'
import type { TwinResponse } from '../http.ts'

/** Docker distribution error body, as registries answer. */
export const registryError = (status: number, code: string, message: string, headers?: Record<string, string>): TwinResponse => ({
  status,
  headers: { 'Docker-Distribution-Api-Version': 'registry/2.0', ...headers },
  body: { errors: [{ code, message, detail: null }] }
})

/**
 * The registry data plane, one router for every registry host. For now only
 * the version check that tells a client where to authenticate; pulls, pushes
 * and token exchange are to come in this folder.
 */
export function createRegistryRouter(): Router {
  const router = new Router()
  router.on('GET', /^\/v2\/?$/, (req) =>
    registryError(401, 'UNAUTHORIZED', 'authentication required, visit https://aka.ms/acr/authorization for more information.', {
      'WWW-Authenticate': `Bearer realm="https://${req.host}/oauth2/token",service="${req.host}"`
    }))
  return router
}

export const registryNotFound = (): TwinResponse => registryError(404, 'NOT_FOUND', 'the requested resource was not found')
