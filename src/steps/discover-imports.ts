import * as core from '@actions/core'
import { ActionError, errorMessage } from '../errors.js'
import { findRegistry, type Registry } from '../azure/registries.js'
import type { ImportDiscovery, SourceState } from '../plan/import-discovery.js'
import { targetKey } from '../plan/import-plan.js'
import { RegistrySession, type RegistryLogin } from '../registry/registry-session.js'
import { DOCKER_HUB, formatReference } from '../settings/image-reference.js'
import type { ImportSpec } from '../settings/imports.js'
import type { Settings } from '../settings/settings.js'
import type { AzureSession } from './azure-session.js'

/** Docker Hub's name and its API host differ; every other registry serves its API at its name. */
function apiHost(registry: string): string {
  return registry === DOCKER_HUB ? 'registry-1.docker.io' : registry
}

/**
 * Resolves every source (ACR sources to resource IDs, so the import needs no credentials), then
 * reads source digests and existing target tags from the registries themselves, one signed-in
 * session per registry host, all hosts concurrently. A target registry the run is about to create
 * (`targetIsNew`) has no tags.
 */
export async function discoverImports(
  settings: Settings,
  session: AzureSession,
  target: Registry,
  targetIsNew = false
): Promise<ImportDiscovery> {
  const { specs, mode, credentials } = settings.imports
  const acrSources = await resolveAcrSources(settings, session, specs)
  const entra = session.acrLogin
  const external: RegistryLogin = credentials ? { kind: 'basic', ...credentials } : { kind: 'anonymous' }

  const byHost = new Map<string, { session: RegistrySession; specs: ImportSpec[] }>()
  for (const spec of specs) {
    const acr = acrSources.get(spec)
    const host = acr ? acr.loginServer : apiHost(spec.source.registry)
    if (!byHost.has(host)) byHost.set(host, { session: new RegistrySession(host, acr ? entra : external), specs: [] })
    byHost.get(host)!.specs.push(spec)
  }

  const sourceReads = [...byHost.values()].map(async ({ session: registry, specs: hostSpecs }) => {
    let signInProblem: string | undefined
    try {
      await registry.prepare(hostSpecs.map((spec) => spec.source.repository))
    } catch (error) {
      signInProblem = errorMessage(error)
    }
    return Promise.all(hostSpecs.map((spec) => readSource(spec, acrSources.get(spec), registry, signInProblem, Boolean(credentials))))
  })
  // A registry this run creates has no tags yet (and no data plane to ask before it is created).
  const targetRead =
    mode === 'force'
      ? Promise.resolve(undefined)
      : targetIsNew
        ? Promise.resolve(new Map<string, string>())
        : readTargets(specs, target, entra)
  const [sourceGroups, targetDigests] = await Promise.all([Promise.all(sourceReads), targetRead])

  const states = new Map(sourceGroups.flat().map((state) => [state.spec, state]))
  return {
    sources: specs.map((spec) => states.get(spec)!),
    targetDigests: targetDigests ?? new Map(),
    targetsRead: targetDigests !== undefined
  }
}

async function resolveAcrSources(settings: Settings, session: AzureSession, specs: ImportSpec[]): Promise<Map<ImportSpec, Registry>> {
  const lookups = new Map<string, Promise<Registry>>()
  const acrSpecs = specs.filter((spec) => spec.sourceRegistryId || spec.source.registry.endsWith(`.${settings.cloud.acrSuffix}`))
  for (const spec of acrSpecs) {
    const key = spec.sourceRegistryId?.id.toLowerCase() ?? spec.source.registry
    if (lookups.has(key)) continue
    const ref = spec.sourceRegistryId
      ? ({ kind: 'id', resource: spec.sourceRegistryId } as const)
      : ({ kind: 'login-server', loginServer: spec.source.registry } as const)
    lookups.set(key, findRegistry(session.credential, session.cloud, ref, settings.subscriptionId))
  }
  const resolved = new Map<ImportSpec, Registry>()
  for (const spec of acrSpecs) {
    const key = spec.sourceRegistryId?.id.toLowerCase() ?? spec.source.registry
    try {
      resolved.set(spec, await lookups.get(key)!)
    } catch (error) {
      throw new ActionError(`Input 'images', line ${spec.line}: the source registry could not be found`, {
        detail: errorMessage(error),
        cause: error
      })
    }
  }
  return resolved
}

async function readSource(
  spec: ImportSpec,
  acr: Registry | undefined,
  registry: RegistrySession,
  signInProblem: string | undefined,
  haveCredentials: boolean
): Promise<SourceState> {
  const reference = acr ? { ...spec.source, registry: acr.loginServer } : spec.source
  const display = formatReference(reference)
  const state: SourceState = { spec, acr, display, digest: spec.source.digest, problem: undefined }
  if (signInProblem) return { ...state, problem: `line ${spec.line}: ${signInProblem}` }
  let lookup
  try {
    lookup = await registry.manifestDigest(spec.source.repository, spec.source.digest ?? spec.source.tag!)
  } catch (error) {
    // The runner may not reach a registry that ACR itself can; leave the verdict to the import.
    core.warning(`Could not read ${display} from the runner (${errorMessage(error)}); importing without comparing digests`)
    return state
  }
  if (lookup.found) return { ...state, digest: lookup.digest }
  if (lookup.status === 404)
    return {
      ...state,
      problem: `line ${spec.line}: source ${display} does not exist (${lookup.code ?? 'MANIFEST_UNKNOWN'}: ${lookup.message})`
    }
  if (lookup.status === 401 || lookup.status === 403) {
    const fix = acr
      ? `grant the signed-in identity a pull role on ${acr.id} (AcrPull, or Container Registry Repository Reader in ABAC mode)`
      : haveCredentials
        ? "the registry refused 'source-username'/'source-password'"
        : "set 'source-username' and 'source-password' for this registry"
    return {
      ...state,
      problem: `line ${spec.line}: source ${display} cannot be read (${lookup.code ?? `HTTP ${lookup.status}`}: ${lookup.message}); ${fix}`
    }
  }
  return {
    ...state,
    problem: `line ${spec.line}: source ${display} could not be read (${lookup.code ?? `HTTP ${lookup.status}`}: ${lookup.message})`
  }
}

/**
 * Existing target tags and their digests, or undefined when the registry will not show them (an
 * ABAC-mode registry grants Owner no data-plane reads): then ACR's NoForce guards existing tags.
 */
async function readTargets(specs: ImportSpec[], target: Registry, entra: RegistryLogin): Promise<Map<string, string> | undefined> {
  const tagged = specs.flatMap((spec) => spec.targets.filter((t) => t.tag !== undefined))
  const digests = new Map<string, string>()
  if (tagged.length === 0) return digests
  const registry = new RegistrySession(target.loginServer, entra)
  const unreadable = (why: string) => {
    core.warning(`Cannot read existing tags in ${target.loginServer} (${why}); existing tags are left to the import to refuse`)
    return undefined
  }
  try {
    await registry.prepare(tagged.map((t) => t.repository))
  } catch (error) {
    return unreadable(errorMessage(error))
  }
  const lookups = await Promise.all(tagged.map(async (t) => ({ target: t, lookup: await registry.manifestDigest(t.repository, t.tag!) })))
  for (const { target: t, lookup } of lookups) {
    if (lookup.found) digests.set(targetKey(t), lookup.digest)
    else if (lookup.status === 401 || lookup.status === 403)
      return unreadable(`${lookup.code ?? `HTTP ${lookup.status}`}: the signed-in identity has no pull role there`)
    else if (lookup.status !== 404) {
      throw new ActionError(`Could not read tag ${targetKey(t)} in ${target.loginServer}`, {
        code: lookup.code ?? `HTTP ${lookup.status}`,
        detail: lookup.message
      })
    }
  }
  return digests
}
