import { InputError } from '../errors.js'
import { readBoolean, readList, type InputReader } from './inputs.js'

export interface DeploySettings {
  /** Files, directories or globs, relative to the workspace. */
  manifests: string[]
  /** Namespace for namespaced objects that name none; created when missing. */
  namespace: string | undefined
  forceConflicts: boolean
  admin: boolean
  kubeconfigOutput: boolean
  rollbackOnFailure: boolean
}

export function readDeploySettings(getInput: InputReader, deploying: boolean): DeploySettings {
  const manifests = readList(getInput, 'manifests')
  if (deploying && manifests.length === 0) {
    throw new InputError('manifests', "is required for mode 'deploy': files, directories or globs in the repository, one per line")
  }
  const namespace = getInput('namespace').trim() || undefined
  if (namespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(namespace)) {
    throw new InputError('namespace', `'${namespace}' is not a valid namespace name (lowercase letters, digits and '-', at most 63)`)
  }
  return {
    manifests,
    namespace,
    forceConflicts: readBoolean(getInput, 'force-conflicts', false),
    admin: readBoolean(getInput, 'admin', false),
    kubeconfigOutput: readBoolean(getInput, 'kubeconfig-output', false),
    rollbackOnFailure: readBoolean(getInput, 'rollback-on-failure', false)
  }
}
