import { InputError } from '../errors.js'
import { readBoolean, readList, type InputReader } from './inputs.js'
import { parseRegistryLogins, type PullLogin } from './registry-logins.js'

export interface DeploySettings {
  /** Files, directories or globs, relative to the workspace. */
  manifests: string[]
  /** Namespace for namespaced objects that name none; created when missing. */
  namespace: string | undefined
  forceConflicts: boolean
  admin: boolean
  kubeconfigOutput: boolean
  rollbackOnFailure: boolean
  /** Logins for registries outside Azure: each becomes an image pull secret in every namespace deployed into. */
  registryLogins: PullLogin[]
  /** Existing image pull secrets every workload names, as k8s-deploy's `imagepullsecrets` does. */
  pullSecrets: string[]
  /** Annotate every applied object with the run that applied it. */
  annotate: boolean
}

/** Kubernetes' rule for most object names, secrets included (DNS-1123 subdomain). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

export function readDeploySettings(getInput: InputReader, deploying: boolean): DeploySettings {
  const manifests = readList(getInput, 'manifests')
  if (deploying && manifests.length === 0) {
    throw new InputError('manifests', "is required for mode 'deploy': files, directories or globs in the repository, one per line")
  }
  const namespace = getInput('namespace').trim() || undefined
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new InputError('namespace', `'${namespace}' is not a valid namespace name (lowercase letters, digits and '-', at most 63)`)
  }
  const pullSecrets = readList(getInput, 'pull-secrets', /[\s,]+/)
  for (const name of pullSecrets) {
    if (name.length > 253 || !SUBDOMAIN.test(name))
      throw new InputError('pull-secrets', `'${name}' is not a secret name (lowercase letters, digits, '-' and '.')`)
  }
  return {
    manifests,
    namespace,
    forceConflicts: readBoolean(getInput, 'force-conflicts', false),
    admin: readBoolean(getInput, 'admin', false),
    kubeconfigOutput: readBoolean(getInput, 'kubeconfig-output', false),
    rollbackOnFailure: readBoolean(getInput, 'rollback-on-failure', false),
    registryLogins: parseRegistryLogins(getInput('registry-logins')),
    pullSecrets: [...new Set(pullSecrets)],
    annotate: readBoolean(getInput, 'annotate', true)
  }
}
