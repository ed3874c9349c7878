import type { ImageShape } from './content.ts'

/**
 * Public images every twin starts with. Digests are not the real ones (the
 * twin has no layers to hash): each is sha256 over manifest bytes built from
 * the reference, so they are stable across runs and identical wherever the
 * image is copied. Ask the twin (`tagDigest`) rather than hard-coding them.
 */
export interface CatalogEntry {
  ref: string
  shape?: ImageShape
  username?: string
  password?: string
}

export const QUAY_PRIVATE = { ref: 'quay.io/contoso/private-app:1.0', username: 'contoso+deployer', password: 'quay-robot-token' } as const

export const UPSTREAM_CATALOG: CatalogEntry[] = [
  // Docker Hub official images are multi-platform OCI indexes today.
  { ref: 'docker.io/library/nginx:latest' },
  { ref: 'docker.io/library/nginx:1.27' },
  { ref: 'docker.io/library/nginx:stable' },
  { ref: 'docker.io/library/redis:7' },
  { ref: 'docker.io/library/busybox:latest' },
  { ref: 'docker.io/library/alpine:3.20' },
  { ref: 'docker.io/library/hello-world:latest' },
  // MCR serves Docker manifest lists for .NET and single manifests for the AKS sample.
  { ref: 'mcr.microsoft.com/dotnet/runtime:8.0', shape: { format: 'docker' } },
  { ref: 'mcr.microsoft.com/azuredocs/aks-helloworld:v1', shape: { kind: 'manifest', format: 'docker' } },
  { ref: 'mcr.microsoft.com/oss/nginx/nginx:1.27' },
  // What `az aks check-acr` runs (its CONST_CANIPULL_IMAGE): a single-platform Linux image.
  { ref: 'mcr.microsoft.com/aks/canipull:v0.1.0', shape: { kind: 'manifest', format: 'docker' } },
  { ref: 'quay.io/prometheus/node-exporter:v1.8.2' },
  QUAY_PRIVATE
]
