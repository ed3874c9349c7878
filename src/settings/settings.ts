import { CLOUD_NAMES, CLOUDS, type Cloud, type CloudName } from './clouds.js'
import { parseClusterRef } from './cluster-ref.js'
import { InputError } from '../errors.js'
import { parseModes, type Mode } from './modes.js'
import { parseRegistryRef, type RegistryRef } from './registry-ref.js'
import { parseRepositories } from './repositories.js'
import { isGuid, looksLikeResourceId, type ResourceId } from './resource-id.js'
import { readSignIn, type SignInSettings } from './sign-in-settings.js'
import { readDeploySettings, type DeploySettings } from './deploy-settings.js'
import { parseDuration, readBoolean, type InputReader } from './inputs.js'
import { refuseInputsOfAbsentModes } from './mode-inputs.js'
import { readCheckSettings, type CheckSettings } from './check-settings.js'
import { parseImportMode, parseImports, type ImportMode, type ImportSpec } from './imports.js'
import { readRegistryCreation, type RegistryCreation } from './registry-creation.js'
import { readRunIdentity, type RunIdentity } from './run-identity.js'

/** Everything a run needs to know, read and checked once before any request leaves the runner. */
export interface Settings {
  modes: Mode[]
  /** Absent when no requested mode touches the cluster (import alone). */
  cluster: ResourceId | undefined
  registry: RegistryRef
  imports: ImportSettings
  deploy: DeploySettings
  check: CheckSettings
  /** Read and plan only: print what would change and change nothing (deploy: the server's dry run). */
  dryRun: boolean
  /** How long each phase that waits may take: the imports, the deploy (apply, rollouts, diagnosis), the pull probe. */
  timeoutMs: number
  /** How deploy and the pull probe reach the cluster: its API server, or the AKS run-command API. */
  clusterAccess: ClusterAccessSetting
  /** Repository names or prefixes (ending in `*`) that an ABAC-mode pull assignment is limited to. */
  repositories: string[]
  /** The subscription searched for a registry given by name or login server. */
  subscriptionId: string
  signIn: SignInSettings
  cloud: Cloud
  /** `create-registry: true`: create the registry when it is missing; undefined otherwise. */
  registryCreation: RegistryCreation | undefined
  /** The workflow run, from the runner's environment: annotations and the summary name it. */
  run: RunIdentity
}

export const CLUSTER_ACCESS = ['auto', 'direct', 'run-command'] as const
export type ClusterAccessSetting = (typeof CLUSTER_ACCESS)[number]

export interface ImportSettings {
  specs: ImportSpec[]
  mode: ImportMode
  /** For sources outside Azure that need a login; never printed (masked as soon as it is read). */
  credentials: { username: string; password: string } | undefined
}

export function readSettings(getInput: InputReader, env: NodeJS.ProcessEnv): Settings {
  const modes = parseModes(getInput('mode') || 'attach')
  refuseInputsOfAbsentModes(getInput, modes)
  const cloud = readCloud(getInput)

  const subscriptionInput = getInput('subscription-id').trim() || env.AZURE_SUBSCRIPTION_ID?.trim() || ''
  if (subscriptionInput && !isGuid(subscriptionInput)) {
    throw new InputError('subscription-id', `'${subscriptionInput}' is not a subscription ID (a GUID)`)
  }
  const needsCluster = modes.some((mode) => mode !== 'import')
  const cluster = needsCluster
    ? parseClusterRef(getInput('cluster'), getInput('resource-group'), subscriptionInput.toLowerCase() || undefined)
    : undefined
  if (!cluster && !subscriptionInput && !looksLikeResourceId(getInput('registry'))) {
    throw new InputError(
      'subscription-id',
      "is required to find the registry by name: set it, or AZURE_SUBSCRIPTION_ID, or give the registry's resource ID"
    )
  }

  const registryInput = getInput('registry').trim()
  if (registryInput.length === 0) {
    throw new InputError('registry', `is required for mode ${modes.join(', ')}: give the registry's name, login server or resource ID`)
  }
  const registry = parseRegistryRef(registryInput, cloud.acrSuffix)
  const repositories = parseRepositories(getInput('repositories'))
  const imports = readImports(getInput, modes)
  const importsATag = imports.specs.some((spec) => spec.targets.some((target) => target.tag !== undefined))
  const registrySubscription = registry.kind === 'id' ? registry.resource.subscriptionId : ''
  const subscriptionId = subscriptionInput.toLowerCase() || cluster?.subscriptionId || registrySubscription

  return {
    modes,
    cluster,
    registry,
    imports,
    deploy: readDeploySettings(getInput, modes.includes('deploy')),
    check: readCheckSettings(getInput, importsATag),
    dryRun: readBoolean(getInput, 'dry-run', false),
    timeoutMs: parseDuration('timeout', getInput('timeout') || '5m'),
    clusterAccess: readClusterAccess(getInput),
    repositories,
    subscriptionId,
    signIn: readSignIn(getInput, env),
    cloud,
    registryCreation: readRegistryCreation(getInput, registry, getInput('resource-group'), subscriptionId, needsCluster),
    run: readRunIdentity(env)
  }
}

function readImports(getInput: InputReader, modes: Mode[]): ImportSettings {
  const raw = getInput('images')
  const specs = parseImports(raw)
  if (modes.includes('import') && specs.length === 0) {
    throw new InputError('images', "is required for mode 'import': one image per line, 'SOURCE' or 'SOURCE => repo:tag'")
  }
  const username = getInput('source-username').trim()
  const password = getInput('source-password')
  if (Boolean(username) !== Boolean(password)) {
    throw new InputError(username ? 'source-password' : 'source-username', "'source-username' and 'source-password' go together")
  }
  return { specs, mode: parseImportMode(getInput('import-mode')), credentials: username ? { username, password } : undefined }
}

function readClusterAccess(getInput: InputReader): ClusterAccessSetting {
  const raw = getInput('cluster-access').trim().toLowerCase() || 'auto'
  if (!(CLUSTER_ACCESS as readonly string[]).includes(raw)) {
    throw new InputError('cluster-access', `'${raw}' is not a way to reach the cluster; use one of ${CLUSTER_ACCESS.join(', ')}`)
  }
  return raw as ClusterAccessSetting
}

function readCloud(getInput: InputReader): Cloud {
  const raw = getInput('environment').trim() || 'AzureCloud'
  const name = CLOUD_NAMES.find((candidate) => candidate.toLowerCase() === raw.toLowerCase())
  if (!name) throw new InputError('environment', `'${raw}' is not a cloud; use one of ${CLOUD_NAMES.join(', ')}`)
  const base = CLOUDS[name as CloudName]
  return {
    ...base,
    armEndpoint: readEndpoint(getInput, 'arm-endpoint') ?? base.armEndpoint,
    authorityHost: readEndpoint(getInput, 'authority-host') ?? base.authorityHost,
    graphEndpoint: readEndpoint(getInput, 'graph-endpoint') ?? base.graphEndpoint
  }
}

function readEndpoint(getInput: InputReader, input: string): string | undefined {
  const raw = getInput(input).trim()
  if (!raw) return undefined
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new InputError(input, `'${raw}' is not a URL`)
  }
  // Tokens travel to these endpoints; the Azure SDK refuses to send them over plain http anyway.
  if (url.protocol !== 'https:') throw new InputError(input, `'${raw}' must be an https:// URL`)
  return url.origin + url.pathname.replace(/\/+$/, '')
}
