import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSigningKey, nowSeconds, signJwt } from './jwt.ts'
import type { SigningKey } from './jwt.ts'
import type { Cluster, TwinState } from './state.ts'

/** The audience the workload identity webhook projects service account tokens for. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange'

/** What a cluster without an OIDC issuer signs its service account tokens as: no one outside trusts it. */
const IN_CLUSTER_ISSUER = 'https://kubernetes.default.svc.cluster.local'

/** Each cluster's service account signing key, made on first use (kept off the plain-JSON model). */
const keys = new WeakMap<Cluster, SigningKey>()

function keyOf(cluster: Cluster): SigningKey {
  let key = keys.get(cluster)
  if (!key) keys.set(cluster, (key = createSigningKey()))
  return key
}

/** The key of the cluster whose OIDC issuer is `issuer`, as Entra fetches it from the issuer's discovery document. */
export function clusterIssuerKey(state: TwinState, issuer: string): SigningKey | undefined {
  const cluster = state.clusters.find((c) => c.oidcIssuerUrl !== undefined && c.oidcIssuerUrl === issuer)
  return cluster ? keyOf(cluster) : undefined
}

export interface ServiceAccountTokenOptions {
  namespace: string
  serviceAccount: string
  audience?: string
  /** The webhook asks for an hour (the kubelet renews the file at 80 % of it). */
  lifetimeSeconds?: number
  /** For a token that is already old (seconds since the epoch). */
  issuedAt?: number
  pod?: string
}

/**
 * A projected service account token as the kubelet writes it for a workload identity pod (the
 * TokenRequest API's claims), signed with the cluster's key. Without an OIDC issuer the cluster
 * signs as its in-cluster issuer, which Entra cannot trust.
 */
export function serviceAccountToken(cluster: Cluster, options: ServiceAccountTokenOptions): string {
  const iat = options.issuedAt ?? nowSeconds()
  const pod = options.pod ?? `${options.serviceAccount}-${randomUUID().slice(0, 5)}`
  return signJwt(keyOf(cluster), {
    aud: [options.audience ?? TOKEN_EXCHANGE_AUDIENCE],
    exp: iat + (options.lifetimeSeconds ?? 3600),
    iat,
    iss: cluster.oidcIssuerUrl ?? IN_CLUSTER_ISSUER,
    jti: randomUUID(),
    'kubernetes.io': {
      namespace: options.namespace,
      node: { name: 'aks-nodepool1-12345678-vmss000000', uid: randomUUID() },
      pod: { name: pod, uid: randomUUID() },
      serviceaccount: { name: options.serviceAccount, uid: randomUUID() }
    },
    nbf: iat,
    sub: `system:serviceaccount:${options.namespace}:${options.serviceAccount}`
  })
}

/** A runner pod mutated by the workload identity webhook: its environment and the token file the kubelet keeps fresh. */
export interface WorkloadIdentityPod {
  /** `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST`, as the webhook sets them. */
  env: Record<string, string>
  tokenFile: string
  /** The token in the file now. */
  token: string
  /** Writes a fresh token into the file, as the kubelet does before the old one expires; returns it. */
  rotate(options?: Partial<ServiceAccountTokenOptions>): string
  remove(): void
}

export interface WorkloadIdentityPodOptions extends ServiceAccountTokenOptions {
  cluster: Cluster
  /** The service account's `azure.workload.identity/client-id` annotation. */
  clientId: string
  /** Where Entra is: the twin's URL (the webhook writes `https://login.microsoftonline.com/`). */
  authorityHost: string
}

export function workloadIdentityPod(state: TwinState, options: WorkloadIdentityPodOptions): WorkloadIdentityPod {
  const dir = mkdtempSync(join(tmpdir(), 'azure-tokens-'))
  const tokenFile = join(dir, 'azure-identity-token')
  const tenantId = state.subscription(options.cluster.subscriptionId)!.tenantId
  const pod: WorkloadIdentityPod = {
    env: {
      AZURE_CLIENT_ID: options.clientId,
      AZURE_TENANT_ID: tenantId,
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_AUTHORITY_HOST: `${options.authorityHost.replace(/\/+$/, '')}/`
    },
    tokenFile,
    token: '',
    rotate(more = {}) {
      pod.token = serviceAccountToken(options.cluster, { ...options, ...more })
      writeFileSync(tokenFile, pod.token)
      return pod.token
    },
    remove() {
      rmSync(dir, { recursive: true, force: true })
    }
  }
  pod.rotate()
  return pod
}
