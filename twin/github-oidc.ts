import { randomBytes, randomUUID } from 'node:crypto'
import type { Router, TwinRequest, TwinResponse } from './http.ts'
import { createSigningKey, nowSeconds, signJwt, unsignedJwt } from './jwt.ts'
import type { SigningKey } from './jwt.ts'

export const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com'

export interface GithubClaims {
  iss: string
  sub: string
  aud: string
  repository: string
  repository_owner: string
  repository_id: string
  repository_owner_id: string
  ref: string
  ref_type: string
  sha: string
  workflow: string
  workflow_ref: string
  job_workflow_ref: string
  environment?: string
  event_name: string
  actor: string
  run_id: string
  run_number: string
  run_attempt: string
  runner_environment: string
  iat: number
  nbf: number
  exp: number
  jti: string
}

/** How a test can spoil the token, to see how Entra answers. */
export interface TokenForgery {
  forge?: 'unsigned' | 'wrong-key'
}

export interface GithubOidc {
  key: SigningKey
  requestToken(claims?: Partial<GithubClaims>, forgery?: TokenForgery): string
  register(router: Router): void
}

export function createGithubOidc(): GithubOidc {
  const key = createSigningKey()
  const strangerKey = createSigningKey()
  const registered = new Map<string, { claims: Partial<GithubClaims>; forgery: TokenForgery }>()

  const mint = (req: TwinRequest): TwinResponse => {
    const auth = req.headers.authorization ?? ''
    const reg = auth.startsWith('Bearer ') ? registered.get(auth.slice(7)) : undefined
    if (!reg) return { status: 401, body: { message: 'Unauthorized: invalid ACTIONS_ID_TOKEN_REQUEST_TOKEN' } }
    const c = reg.claims
    const repository = c.repository ?? 'octo-org/octo-app'
    const owner = c.repository_owner ?? repository.split('/')[0]
    const ref = c.ref ?? 'refs/heads/main'
    const workflowRef = `${repository}/.github/workflows/deploy.yml@${ref}`
    const iat = c.iat ?? nowSeconds()
    const claims: GithubClaims = {
      iss: GITHUB_ISSUER,
      // GitHub's subject names the environment when the job has one, else the ref.
      sub: c.environment ? `repo:${repository}:environment:${c.environment}` : `repo:${repository}:ref:${ref}`,
      aud: req.query.audience || `https://github.com/${owner}`,
      repository,
      repository_owner: owner,
      repository_id: '123456789',
      repository_owner_id: '987654',
      ref,
      ref_type: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
      sha: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
      workflow: 'deploy',
      workflow_ref: workflowRef,
      job_workflow_ref: workflowRef,
      event_name: 'push',
      actor: 'octocat',
      run_id: '4242424242',
      run_number: '42',
      run_attempt: '1',
      runner_environment: 'github-hosted',
      iat,
      nbf: iat,
      exp: iat + 300,
      jti: randomUUID(),
      ...c
    }
    if (!claims.environment) delete claims.environment
    const value =
      reg.forgery.forge === 'unsigned'
        ? unsignedJwt({ ...claims })
        : signJwt(reg.forgery.forge === 'wrong-key' ? strangerKey : key, { ...claims })
    return { status: 200, body: { count: value.length, value } }
  }

  return {
    key,
    requestToken(claims = {}, forgery = {}) {
      const bearer = randomBytes(24).toString('base64url')
      registered.set(bearer, { claims, forgery })
      return bearer
    },
    register(router) {
      router.on('GET', /^\/github\/_apis\/idtoken\/?$/i, mint)
      router.on('GET', /^\/github\/\.well-known\/jwks$/i, () => ({ status: 200, body: { keys: [key.jwk] } }))
      router.on('GET', /^\/github\/\.well-known\/openid-configuration$/i, (req) => ({
        status: 200,
        body: {
          issuer: GITHUB_ISSUER,
          jwks_uri: `${req.baseUrl}/github/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          id_token_signing_alg_values_supported: ['RS256'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'repository', 'environment', 'job_workflow_ref']
        }
      }))
    }
  }
}
