/**
 * `PUT …/managedClusters/{name}`: what `az aks update` sends (the whole cluster as its GET showed
 * it, changed where a flag asked), run as AKS runs it (azure-cli recordings, 2022): 200 with the
 * cluster reading `provisioningState: Updating` (its agent pools too) and a single
 * `Azure-AsyncOperation` header to
 * `…/subscriptions/{s}/providers/Microsoft.ContainerService/locations/{location}/operations/{id}?api-version=2016-03-30`,
 * which answers 200 `{name, status: InProgress, startTime}` until `state.clusterOperationMs` has
 * passed, then `{name, status: Succeeded, startTime, endTime}`. No `Retry-After`, so Azure SDK
 * pollers wait their default 30 s between polls, as they do against AKS. A PUT while an operation
 * runs is AKS's 409 OperationNotAllowed.
 */
import type { Router, TwinRequest, TwinResponse } from '../http.ts'
import { authorize, isResponse, subscriptionCaller } from './context.ts'
import type { ArmDeps } from './context.ts'
import { armError, resourceGroupNotFound } from './errors.ts'
import { clusterJson } from './clusters.ts'
import { clusterOperation, isDone, runningOperation, startClusterOperation } from './cluster-operations.ts'
import type { ClusterOperation } from './cluster-operations.ts'

const WRITE = 'Microsoft.ContainerService/managedClusters/write'
/** The api-version AKS puts in its operation links, whatever version the PUT used. */
const OPERATIONS_API_VERSION = '2016-03-30'

/** AKS's times: seven fraction digits, trailing zeros dropped (`2022-04-18T02:41:18.96Z`). */
const aksTime = (ms: number) =>
  new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_, f: string) => {
    const trimmed = `${f}0000`.slice(0, 7).replace(/0+$/, '')
    return trimmed ? `.${trimmed}Z` : 'Z'
  })

/**
 * AKS names the operation with its id in .NET's GUID byte order (the first three groups
 * byte-reversed): id `c2000af4-083e-46f0-…` is named `f40a00c2-3e08-f046-…`.
 */
export const operationName = (id: string) => {
  const [a, b, c, ...rest] = id.split('-')
  const swap = (hex: string) => hex.match(/../g)!.reverse().join('')
  return [swap(a!), swap(b!), swap(c!), ...rest].join('-')
}

function operationJson(op: ClusterOperation): Record<string, unknown> {
  const done = isDone(op)
  return {
    name: operationName(op.id),
    status: done ? 'Succeeded' : 'InProgress',
    startTime: aksTime(op.startedAt),
    ...(done ? { endTime: aksTime(op.endsAt) } : {})
  }
}

export function registerClusterUpdate(router: Router, deps: ArmDeps) {
  const { state } = deps

  router.on(
    'PUT',
    /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ContainerService\/managedClusters\/([^/]+)$/i,
    (req: TwinRequest, m): TwinResponse => {
      const [, sub, rg, name] = m
      const caller = subscriptionCaller(deps, req, sub!)
      if (isResponse(caller)) return caller
      const denied = authorize(deps, caller, WRITE, req.path)
      if (denied) return denied
      if (!state.resourceGroup(sub!, rg!)) return resourceGroupNotFound(rg!)
      let body: { location?: string }
      try {
        body = JSON.parse(req.body.toString('utf8') || '{}')
      } catch {
        return armError(400, 'InvalidRequestContent', 'The request content was invalid and could not be deserialized.')
      }
      const cluster = state.cluster(sub!, rg!, name!)
      if (!cluster) {
        return armError(400, 'InvalidParameter', `The Azure twin does not create managed clusters by PUT: add '${name}' with addCluster.`)
      }
      if (body.location && body.location.replace(/\s/g, '').toLowerCase() !== cluster.location.toLowerCase()) {
        return armError(
          409,
          'InvalidResourceLocation',
          `The resource '${cluster.name}' already exists in location '${cluster.location}' in resource group '${cluster.resourceGroup}'. A resource with the same name cannot be created in location '${body.location}'. Please select a new resource name.`
        )
      }
      const running = runningOperation(state, cluster)
      if (running) {
        return armError(
          409,
          'OperationNotAllowed',
          `Operation is not allowed because there's an in progress update managed cluster operation (operation ID: ${running.id}) on the managed cluster started on UTC ${new Date(running.startedAt).toISOString().replace(/\.\d+Z$/, 'Z')}. Please wait for it to finish before starting a new operation. You can also use 'az aks operation-abort ...' to abort the ongoing operation.`
        )
      }
      const op = startClusterOperation(state, cluster)
      const link = `${req.baseUrl}/subscriptions/${cluster.subscriptionId}/providers/Microsoft.ContainerService/locations/${cluster.location}/operations/${op.id}?api-version=${OPERATIONS_API_VERSION}`
      return { status: 200, headers: { 'Azure-AsyncOperation': link }, body: clusterJson(cluster, state) }
    }
  )

  router.on(
    'GET',
    /^\/subscriptions\/([^/]+)\/providers\/Microsoft\.ContainerService\/locations\/([^/]+)\/operations\/([^/]+)$/i,
    (req: TwinRequest, m): TwinResponse => {
      const caller = subscriptionCaller(deps, req, m[1]!)
      if (isResponse(caller)) return caller
      const op = clusterOperation(state, m[3]!)
      if (!op || op.subscriptionId.toLowerCase() !== m[1]!.toLowerCase()) {
        return armError(404, 'NotFound', `The operation '${m[3]}' was not found.`)
      }
      return { status: 200, body: operationJson(op) }
    }
  )
}
