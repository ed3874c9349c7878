import { ActionError } from '../errors.js'
import type { NetworkError } from '../net/network-error.js'

/**
 * `auth-type: auto` found no way to sign in: what it looked for, and how to enable each way. The
 * job's permissions come first because a job without `id-token: write` is by far the usual cause.
 */
export function noWayToSignIn(
  passedOver: string[],
  metadataService?: { host: string; error: NetworkError } | { host: string; status: number }
): ActionError {
  const looked = [...passedOver]
  if (metadataService && 'error' in metadataService)
    looked.push(
      `managed identity: the instance metadata service at ${metadataService.host} could not be reached: ${metadataService.error.reason}`
    )
  else if (metadataService)
    looked.push(
      `managed identity: the service at ${metadataService.host} answered HTTP ${metadataService.status}, not as Azure's instance metadata service does (this machine is not an Azure VM)`
    )
  return new ActionError('No way to sign in to Azure was found on this runner (auth-type is auto)', {
    code: 'NoIdentity',
    detail: looked.join('; '),
    hint: [
      'Enable one of them:',
      "- GitHub OIDC (any runner): give the job `permissions: id-token: write` (and `contents: read`); a reusable workflow needs it in the caller's job too",
      '- workload identity (a runner pod in AKS): az aks update --enable-oidc-issuer --enable-workload-identity, annotate the runner\'s service account with azure.workload.identity/client-id, label the runner pod azure.workload.identity/use: "true" and add a federated credential for the service account (az identity federated-credential create)',
      '- managed identity (a self-hosted runner on an Azure VM or scale set): az vm identity assign (or az vmss identity assign), and set client-id for a user-assigned identity'
    ].join('\n'),
    cause: metadataService && 'error' in metadataService ? metadataService.error : undefined
  })
}
