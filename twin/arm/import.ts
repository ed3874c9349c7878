import { randomUUID } from 'node:crypto'
import type { Router, TwinResponse } from '../http.ts'
import type { Registry, TwinState } from '../state.ts'
import { armCaller, authorize, checkSubscription, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps, Caller } from './context.ts'
import { armError, resourceGroupNotFound, resourceNotFound } from './errors.ts'
import { closure, putImage, resolve } from '../registry/content.ts'
import type { Manifest } from '../registry/content.ts'
import { canonicalHost, isRepositoryName, parseRepoRef } from '../registry/reference.ts'
import { canPull } from '../registry/permissions.ts'
import { flavorOf, pullFromUpstream } from '../registry/upstream.ts'
import { manifestUnknown, nameUnknown, unauthorizedBody } from '../registry/distribution.ts'

/**
 * `POST …/registries/{name}/importImage`, a long-running operation shaped as
 * ACR answers it (azure-cli recordings, 2021 and 2026): 202 with an empty body
 * and only a `Location` to `…/providers/Microsoft.ContainerRegistry/locations/
 * {LOCATION}/operationResults/registries-{id}`, which answers 202
 * `{"<target>":"Pending","status":"Accepted"}` while running, 200
 * `{"status":"Succeeded"}` when done, and 400 with `{"error":{code,message}}`
 * when the import failed (the SDK's location poller throws that as a RestError).
 */
const IMPORT = 'Microsoft.ContainerRegistry/registries/importImage/action'
const PULL = 'Microsoft.ContainerRegistry/registries/pull/read'
const REGISTRY_ID = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)$/i

interface ImportBody {
  source?: { registryUri?: string; resourceId?: string; sourceImage?: string; credentials?: { username?: string; password?: string } }
  targetTags?: string[]
  untaggedTargetRepositories?: string[]
  mode?: string
}

interface Operation {
  id: string
  subscriptionId: string
  /** Targets, as the running operation lists them. */
  pending: string[]
  deadline: number
  run: () => Result
  result?: Result
}

type Result = { ok: true } | { ok: false; code: string; message: string }

const operations = new WeakMap<TwinState, Map<string, Operation>>()
const opsOf = (state: TwinState) => {
  let m = operations.get(state)
  if (!m) operations.set(state, (m = new Map()))
  return m
}

/** The wording ACR's importer puts around a source registry's refusal: `Invalid message <Status> <Reason> <body>`. */
const REASONS: Record<number, [string, string]> = {
  401: ['Unauthorized', 'Unauthorized'],
  403: ['Forbidden', 'Forbidden'],
  404: ['NotFound', 'Not Found']
}
const sourceRefused = (status: number, body: unknown) => {
  const [name, phrase] = REASONS[status] ?? [String(status), String(status)]
  return {
    ok: false as const,
    code: 'InvalidParameters',
    message: `Invalid message ${name} ${phrase} ${typeof body === 'string' ? body : JSON.stringify(body)}`
  }
}

const invalid = (message: string) => armError(400, 'InvalidParameters', message)

/** What ACR checks before accepting the operation; anything about the source's content is found later. */
function validate(body: ImportBody): TwinResponse | undefined {
  const s = body.source
  if (!s || typeof s !== 'object') return invalid("The 'source' property is required.")
  if (!s.sourceImage) return invalid("The 'source.sourceImage' property is required.")
  if (!s.registryUri && !s.resourceId) return invalid("Either 'source.registryUri' or 'source.resourceId' is required.")
  if (s.resourceId && !/^\/(subscriptions|providers)\//i.test(s.resourceId)) {
    return armError(
      400,
      'LinkedInvalidPropertyId',
      `Property id '${s.resourceId}' at path 'source.resourceId' is invalid. Expect fully qualified resource Id that start with '/subscriptions/{subscriptionId}' or '/providers/{resourceProviderNamespace}/'.`
    )
  }
  if (!parseRepoRef(s.sourceImage))
    return invalid(`The source image '${s.sourceImage}' is not valid. Use 'repository[:tag]' or 'repository@digest'.`)
  const tags = body.targetTags ?? []
  const repos = body.untaggedTargetRepositories ?? []
  if (!Array.isArray(tags) || !Array.isArray(repos)) return invalid("'targetTags' and 'untaggedTargetRepositories' must be arrays.")
  if (tags.length === 0 && repos.length === 0) return invalid("At least one of 'targetTags' or 'untaggedTargetRepositories' is required.")
  for (const t of tags) {
    const r = typeof t === 'string' ? parseRepoRef(t) : undefined
    if (!r || r.digest) return invalid(`The target tag '${String(t)}' is not valid. Use 'repository:tag'.`)
  }
  for (const r of repos)
    if (typeof r !== 'string' || !isRepositoryName(r)) return invalid(`The target repository '${String(r)}' is not valid.`)
  if (body.mode !== undefined && body.mode !== 'NoForce' && body.mode !== 'Force') {
    return invalid(`The import mode '${String(body.mode)}' is not valid. Use 'NoForce' or 'Force'.`)
  }
  if (s.credentials && !s.credentials.password) return invalid("'source.credentials.password' is required when credentials are given.")
  return undefined
}

/** Reads the source image the way the importer would, as the caller (ACR source) or with the given credentials. */
function readSource(
  state: TwinState,
  caller: Caller,
  body: ImportBody,
  source: Registry | undefined
): { ok: true; manifests: Manifest[] } | { ok: false; code: string; message: string } {
  const s = body.source!
  const ref = parseRepoRef(s.sourceImage!)!
  const reference = ref.digest ?? ref.tag ?? 'latest'
  const acr = source ?? (s.registryUri ? state.registryByLoginServer(canonicalHost(s.registryUri)) : undefined)
  if (acr) {
    // By resourceId the caller's own rights count; by login server only anonymous pull would (credentials are not modelled for ACR).
    const who = source ? caller.oid : undefined
    if (!canPull(state, who, acr, ref.repository).allowed) {
      return sourceRefused(401, { errors: [unauthorizedBody('acr', ref.repository, 'pull')] })
    }
    const content = state.contentOf(acr.loginServer)
    if (!content.repositories.has(ref.repository)) return sourceRefused(404, nameUnknown(ref.repository).body)
    const m = resolve(content, ref.repository, reference)
    return m ? { ok: true, manifests: closure(content, m.digest) } : sourceRefused(404, manifestUnknown('acr', reference).body)
  }
  const host = canonicalHost(s.registryUri!)
  if (!flavorOf(host)) {
    return {
      ok: false,
      code: 'InvalidParameters',
      message: `Unable to connect to the source registry '${s.registryUri}'. Please check the registry URI.`
    }
  }
  const creds = s.credentials?.password ? { username: s.credentials.username ?? '', password: s.credentials.password } : undefined
  const pulled = pullFromUpstream(state, host, ref.repository, reference, creds)
  return pulled.ok ? pulled : sourceRefused(pulled.status, pulled.body)
}

/** Runs the copy: NoForce fails on any existing target tag before anything is written. */
function runImport(state: TwinState, caller: Caller, target: Registry, body: ImportBody, source: Registry | undefined): Result {
  const read = readSource(state, caller, body, source)
  if (!read.ok) return read
  const content = state.contentOf(target.loginServer)
  const tags = (body.targetTags ?? []).map((t) => parseRepoRef(t)!)
  if ((body.mode ?? 'NoForce') === 'NoForce') {
    for (const t of tags) {
      const tag = t.tag ?? 'latest'
      if (content.repositories.get(t.repository)?.tags.has(tag)) {
        return { ok: false, code: 'InvalidParameters', message: `Tag ${t.repository}:${tag} already exists in target registry.` }
      }
    }
  }
  for (const t of tags) putImage(content, t.repository, t.tag ?? 'latest', read.manifests)
  for (const r of body.untaggedTargetRepositories ?? []) putImage(content, r, undefined, read.manifests)
  return { ok: true }
}

export function registerImport(router: Router, deps: ArmDeps) {
  const { state } = deps

  router.on(
    'POST',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/registries\/([^/]+)\/importImage$/i,
    (req, m) => {
      const [, sub, rg, name] = m
      const registryPath = req.path.replace(/\/importImage$/i, '')
      const caller = subscriptionCaller(deps, req, sub)
      if (isResponse(caller)) return caller
      const denied = authorize(deps, caller, IMPORT, registryPath)
      if (denied) return denied
      if (!state.resourceGroup(sub, rg)) return resourceGroupNotFound(rg)
      const target = state.registry(sub, rg, name)
      if (!target) return resourceNotFound('Microsoft.ContainerRegistry/registries', name, rg)

      let body: ImportBody
      try {
        body = JSON.parse(req.body.toString('utf8') || '{}')
      } catch {
        return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
      }
      const bad = validate(body)
      if (bad) return bad

      // ARM's linked access check on source.resourceId: the caller must be able to pull from it.
      let source: Registry | undefined
      if (body.source!.resourceId) {
        const id = body.source!.resourceId
        const mm = REGISTRY_ID.exec(id)
        source = mm ? state.registry(mm[1], mm[2], mm[3]) : undefined
        if (
          !state.can(caller.oid, PULL, id) &&
          !(source && canPull(state, caller.oid, source, parseRepoRef(body.source!.sourceImage!)!.repository).allowed)
        ) {
          return armError(
            403,
            'LinkedAuthorizationFailed',
            `The client '${caller.appid}' with object id '${caller.oid}' has permission to perform action '${IMPORT}' on scope '${registryPath}'; however, it does not have permission to perform action(s) '${PULL}' on the linked scope(s) '${id}' (respectively) or the linked scope(s) are invalid.`
          )
        }
        if (!source)
          return armError(
            404,
            'ResourceNotFound',
            `The Resource '${id.replace(/^.*\/providers\//i, '')}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`
          )
      }

      const id = `registries-${randomUUID()}`
      const op: Operation = {
        id,
        subscriptionId: sub,
        pending: [...(body.targetTags ?? []), ...(body.untaggedTargetRepositories ?? [])],
        deadline: Date.now() + state.importDurationMs,
        run: () => runImport(state, caller, target, body, source)
      }
      opsOf(state).set(id.toLowerCase(), op)
      // Each operation settles on its own timer, so it completes whether or not anyone polls;
      // state is read and written synchronously, so concurrent operations cannot interleave.
      setTimeout(() => {
        op.result ??= op.run()
      }, state.importDurationMs).unref()

      const location = `${req.baseUrl}/subscriptions/${sub}/providers/Microsoft.ContainerRegistry/locations/${target.location.toUpperCase()}/operationResults/${id}?api-version=${encodeURIComponent(req.query['api-version'])}`
      return {
        status: 202,
        headers: {
          Location: location,
          ...(state.importRetryAfterSeconds !== undefined ? { 'Retry-After': String(state.importRetryAfterSeconds) } : {})
        }
      }
    }
  )

  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerRegistry\/locations\/([^/]+)\/operationResults\/([^/]+)$/i,
    (req, m) => {
      const caller = armCaller(req, deps)
      if (isResponse(caller)) return caller
      const denied = checkSubscription(deps, caller, m[1])
      if (denied) return denied
      const op = opsOf(state).get(m[3].toLowerCase())
      if (!op || op.subscriptionId.toLowerCase() !== m[1].toLowerCase()) {
        return armError(404, 'NotFound', `The operation '${m[3]}' was not found.`)
      }
      // A poll past the deadline settles the operation even if its timer is late.
      if (!op.result && Date.now() >= op.deadline) op.result = op.run()
      if (!op.result) {
        const body: Record<string, string> = {}
        for (const p of op.pending) body[p] = 'Pending'
        body.status = 'Accepted'
        const retryAfter: Record<string, string> =
          state.importRetryAfterSeconds !== undefined ? { 'Retry-After': String(state.importRetryAfterSeconds) } : {}
        return {
          status: 202,
          headers: { Location: `${req.baseUrl}${req.path}?${new URLSearchParams(req.query).toString()}`, ...retryAfter },
          body
        }
      }
      return op.result.ok
        ? { status: 200, body: { status: 'Succeeded' } }
        : { status: 400, body: { status: 'Failed', error: { code: op.result.code, message: op.result.message } } }
    }
  )
}
