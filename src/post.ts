import * as core from '@actions/core'
import { KUBECONFIG_STATE, removeKubeconfig } from './kube/kubeconfig-file.js'
import { errorMessage } from './errors.js'

/** The post step: deletes the kubeconfig the main step wrote for later steps, whatever happened. */
export async function post(): Promise<void> {
  const path = core.getState(KUBECONFIG_STATE)
  if (!path) return
  try {
    await removeKubeconfig(path)
    core.info(`Deleted the kubeconfig at ${path}`)
  } catch (error) {
    core.warning(`Could not delete the kubeconfig at ${path}: ${errorMessage(error)}`)
  }
}
