import http from 'node:http'
import https from 'node:https'
import type { Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Dispatcher, Router } from './http.ts'
import type { Fault, RequestRecord, TwinRequest, TwinResponse } from './http.ts'
import { createTwinTls } from './tls.ts'
import { createProxy, isKubeHost, isRegistryHost } from './proxy.ts'
import type { ProxyLogEntry } from './proxy.ts'
import { createGithubOidc, GITHUB_ISSUER } from './github-oidc.ts'
import type { GithubClaims, TokenForgery } from './github-oidc.ts'
import { createEntra } from './entra.ts'
import type { FederatedExchange } from './entra.ts'
import { createImdsRouter, IMDS_ADDRESS } from './imds.ts'
import { clusterIssuerKey, serviceAccountToken, workloadIdentityPod } from './workload-identity.ts'
import type { ServiceAccountTokenOptions, WorkloadIdentityPod } from './workload-identity.ts'
import { registerGraph } from './graph.ts'
import { registerClusters } from './arm/clusters.ts'
import { registerClusterUpdate } from './arm/cluster-update.ts'
import { registerRegistries } from './arm/registries.ts'
import { registerRegistryCreate } from './arm/registry-create.ts'
import { registerAuthorization } from './arm/authorization.ts'
import { registerSubscriptions } from './arm/subscriptions.ts'
import { registerResources } from './arm/resources.ts'
import { armError } from './arm/errors.ts'
import { createRegistryRouter, registryNotFound } from './registry/index.ts'
import { registerImport } from './arm/import.ts'
import { TwinState } from './state.ts'
import { createKubeRouter } from './kube/api.ts'
import { registerCredentials } from './arm/credentials.ts'
import { registerRunCommand } from './arm/run-command.ts'
import { clusterNetworks } from './cluster-network.ts'
import type { OpenClusterNetwork } from './cluster-network.ts'

export { TwinState } from './state.ts'
export type * from './state.ts'
export type { Fault, RequestRecord } from './http.ts'
export type { ProxyLogEntry } from './proxy.ts'
export type { CommandRun } from './arm/run-command.ts'
export type { GithubClaims, TokenForgery } from './github-oidc.ts'
export type { FederatedExchange } from './entra.ts'
export type { ServiceAccountTokenOptions, WorkloadIdentityPod } from './workload-identity.ts'
export { TOKEN_EXCHANGE_AUDIENCE } from './workload-identity.ts'
export { GITHUB_ISSUER } from './github-oidc.ts'
export { armError, throttled } from './arm/errors.ts'
export { BUILT_IN_ROLES } from './roles.ts'
export { KubeCluster, DEFAULT_KNOBS } from './kube/cluster.ts'
export type { KubeKnobs, Grant } from './kube/cluster.ts'
export type { DenyRule, KubeRole } from './kube/auth.ts'

export interface TwinOptions {
  /** Items per ARM list page (default 100); small values exercise `nextLink`. */
  pageSize?: number
  latencyMs?: number
  /** 'specific' answers FIC mismatches with AADSTS700211/700212/700213 instead of 70021. */
  ficErrorStyle?: 'legacy' | 'specific'
}

export interface Twin {
  url: string
  proxyUrl: string
  caFile: string
  caPem: string
  state: TwinState
  requests: RequestRecord[]
  proxyLog: ProxyLogEntry[]
  inject(fault: Fault): void
  clearFaults(): void
  latencyMs: number
  github: {
    requestUrl: string
    requestToken(claims?: Partial<GithubClaims>, forgery?: TokenForgery): string
  }
  env(extra?: { requestToken?: string }): Record<string, string>
  /** The runner machine's instance metadata service (`http://127.0.0.2:PORT`); the SDK finds it through AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  imdsUrl: string
  /** Client-assertion exchanges Entra judged (GitHub and service account tokens), and a hook called before each is answered. */
  exchanges: FederatedExchange[]
  onExchange(listener: (exchange: FederatedExchange) => void): () => void
  /** A service account token of a cluster, as its kubelet projects it (signed by the cluster's OIDC issuer, if enabled). */
  serviceAccountToken(cluster: import('./state.ts').Cluster, options: ServiceAccountTokenOptions): string
  /** A runner pod with Azure workload identity: the webhook's environment and a token file that `rotate()` renews. */
  workloadIdentityPod(
    cluster: import('./state.ts').Cluster,
    options: ServiceAccountTokenOptions & { clientId: string }
  ): WorkloadIdentityPod
  close(): Promise<void>
  // Builders, bound to `state`.
  addTenant: TwinState['addTenant']
  addSubscription: TwinState['addSubscription']
  addResourceGroup: TwinState['addResourceGroup']
  addPrincipal: TwinState['addPrincipal']
  addApp: TwinState['addApp']
  addCluster: TwinState['addCluster']
  addRegistry: TwinState['addRegistry']
  addRoleAssignment: TwinState['addRoleAssignment']
  addCustomRole: TwinState['addCustomRole']
  roleAssignments: TwinState['roleAssignments']
  addManagedIdentity: TwinState['addManagedIdentity']
  setRunnerMachine: TwinState['setRunnerMachine']
  // Registry contents (twin/registry/).
  addImage: TwinState['addImage']
  addUpstreamImage: TwinState['addUpstreamImage']
  imagesOf: TwinState['imagesOf']
  tagDigest: TwinState['tagDigest']
}

const listen = (server: HttpServer | https.Server) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })

const listenOn = (server: HttpServer, address: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, address, () => resolve((server.address() as AddressInfo).port))
  })

const isOwnHost = (host: string) => host === '127.0.0.1' || host === 'localhost'

export async function startTwin(options: TwinOptions = {}): Promise<Twin> {
  const tls = await createTwinTls()
  const state = new TwinState()
  if (options.pageSize) state.pageSize = options.pageSize
  if (options.ficErrorStyle) state.ficErrorStyle = options.ficErrorStyle

  const github = createGithubOidc()
  const entra = createEntra(state, (issuer) => (issuer === GITHUB_ISSUER ? github.key : clusterIssuerKey(state, issuer)))
  const main = new Router()
  github.register(main)
  entra.register(main)
  registerGraph(main, state, entra)
  const armDeps = { state, entra }
  registerClusters(main, armDeps)
  registerClusterUpdate(main, armDeps)
  registerRegistries(main, armDeps)
  registerRegistryCreate(main, armDeps)
  registerAuthorization(main, armDeps)
  registerSubscriptions(main, armDeps)
  registerResources(main, armDeps)
  registerImport(main, armDeps)
  const registry = createRegistryRouter({ state, entra })

  registerCredentials(main, armDeps, tls)
  // Command pods reach their cluster through its own network, which exists once the server listens.
  let openNetwork: OpenClusterNetwork = () => Promise.reject(new Error('the twin is not listening yet'))
  const runCommand = registerRunCommand(main, { ...armDeps, caPem: tls.caPem, openNetwork: (c) => openNetwork(c) })
  const kube = createKubeRouter({ state, entra })
  const imds = createImdsRouter(state, entra)

  let twin!: Twin
  const dispatcher = new Dispatcher({
    routerFor: (host) =>
      host === IMDS_ADDRESS ? imds : isKubeHost(host) ? kube : !isOwnHost(host) && isRegistryHost(host) ? registry : main,
    notFound: (req: TwinRequest): TwinResponse => {
      if (!isOwnHost(req.host) && isRegistryHost(req.host)) return registryNotFound()
      return /\/providers\//i.test(req.path)
        ? armError(
            404,
            'NoRegisteredProviderFound',
            `No registered resource provider found for location 'global' and API version '${req.query['api-version'] ?? ''}' for path '${req.path}'.`
          )
        : armError(
            404,
            'InvalidResourceType',
            `The resource type could not be found for path '${req.path}' (not served by the Azure twin).`
          )
    },
    latency: () => twin.latencyMs
  })

  const server = https.createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    void dispatcher.handle(req, res)
  })
  // Upgrades (kubectl attach over WebSocket) come here instead of 'request'.
  server.on('upgrade', (req, socket, head) => void dispatcher.handleUpgrade(req, socket, head))
  const port = await listen(server)
  openNetwork = clusterNetworks({ https: server, twinPort: () => port, markInCluster: (s) => dispatcher.clusterSockets.add(s), state })
  const proxyLog: ProxyLogEntry[] = []
  const proxy = createProxy({
    https: server,
    twinPort: () => port,
    markProxied: (s) => dispatcher.proxiedSockets.add(s),
    log: proxyLog,
    kubeReach: (host) => {
      const cluster = state.clusterByFqdn(host)
      if (!cluster || cluster.runnerInNetwork) return 'open'
      if (cluster.privateCluster) return 'unresolvable'
      return cluster.authorizedIpRanges.length > 0 ? 'dropped' : 'open'
    }
  })
  const proxyPort = await listen(proxy)
  // The metadata service is plain http on an address of the machine itself. Off Azure (no runner
  // machine) the address swallows packets: nothing answers and nothing is logged.
  // On another cloud's VM (state.foreignMetadataService) a service of that cloud answers at the
  // same address: AWS's answers an unknown path with 404 and a small HTML page.
  const imdsServer = http.createServer((req, res) => {
    if (state.runnerMachine) void dispatcher.handle(req, res)
    else if (state.foreignMetadataService)
      res
        .writeHead(404, { 'content-type': 'text/html' })
        .end('<?xml version="1.0" encoding="iso-8859-1"?>\n<title>404 - Not Found</title>\n')
  })
  const imdsPort = await listenOn(imdsServer, IMDS_ADDRESS)
  // Tunnelled (CONNECT) and TLS sockets leave the servers' own connection tracking, so
  // closeAllConnections() misses them and close() would wait for clients' keep-alive to end.
  const sockets = new Set<import('node:net').Socket>()
  for (const s of [server, proxy, imdsServer]) {
    s.on('connection', (socket: import('node:net').Socket) => {
      sockets.add(socket)
      socket.once('close', () => sockets.delete(socket))
    })
  }
  const url = `https://127.0.0.1:${port}`
  const requestUrl = `${url}/github/_apis/idtoken?api-version=2.0`
  let defaultToken: string | undefined
  const pods: WorkloadIdentityPod[] = []

  twin = {
    url,
    proxyUrl: `http://127.0.0.1:${proxyPort}`,
    caFile: tls.caFile,
    caPem: tls.caPem,
    state,
    requests: dispatcher.requests,
    proxyLog,
    inject: (f) => dispatcher.inject(f),
    clearFaults: () => dispatcher.clearFaults(),
    latencyMs: options.latencyMs ?? 0,
    github: { requestUrl, requestToken: (claims, forgery) => github.requestToken(claims, forgery) },
    env(extra = {}) {
      defaultToken ??= github.requestToken()
      return {
        NODE_EXTRA_CA_CERTS: tls.caFile,
        ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: extra.requestToken ?? defaultToken,
        HTTPS_PROXY: twin.proxyUrl,
        NO_PROXY: '127.0.0.1,localhost',
        NODE_USE_ENV_PROXY: '1',
        // Where the SDK (and the action) find the metadata service: the twin's, never the real address.
        AZURE_POD_IDENTITY_AUTHORITY_HOST: twin.imdsUrl
      }
    },
    imdsUrl: `http://${IMDS_ADDRESS}:${imdsPort}`,
    exchanges: entra.exchanges,
    onExchange: (listener) => entra.onExchange(listener),
    serviceAccountToken: (cluster, options) => serviceAccountToken(cluster, options),
    workloadIdentityPod(cluster, options) {
      const pod = workloadIdentityPod(state, { ...options, cluster, authorityHost: url })
      pods.push(pod)
      return pod
    },
    async close() {
      for (const c of state.clusters) c.kube.stop()
      await runCommand.stop()
      const closed = Promise.all([
        new Promise<void>((r) => proxy.close(() => r())),
        new Promise<void>((r) => server.close(() => r())),
        new Promise<void>((r) => imdsServer.close(() => r()))
      ])
      // Keep-alive sockets from SDK agents would otherwise hold close() open.
      proxy.closeAllConnections()
      server.closeAllConnections()
      imdsServer.closeAllConnections()
      for (const pod of pods) pod.remove()
      for (const socket of sockets) socket.destroy()
      await closed
      await tls.cleanup()
    },
    addTenant: state.addTenant.bind(state),
    addSubscription: state.addSubscription.bind(state),
    addResourceGroup: state.addResourceGroup.bind(state),
    addPrincipal: state.addPrincipal.bind(state),
    addApp: state.addApp.bind(state),
    addCluster: state.addCluster.bind(state),
    addRegistry: state.addRegistry.bind(state),
    addRoleAssignment: state.addRoleAssignment.bind(state),
    addCustomRole: state.addCustomRole.bind(state),
    roleAssignments: state.roleAssignments.bind(state),
    addManagedIdentity: state.addManagedIdentity.bind(state),
    setRunnerMachine: state.setRunnerMachine.bind(state),
    addImage: state.addImage.bind(state),
    addUpstreamImage: state.addUpstreamImage.bind(state),
    imagesOf: state.imagesOf.bind(state),
    tagDigest: state.tagDigest.bind(state)
  }
  return twin
}
