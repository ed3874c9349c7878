import type { Cluster } from '../azure/clusters.js'
import type { Registry } from '../azure/registries.js'
import type { NameCheck } from '../azure/registry-create.js'
import type { Assignment } from '../azure/role-assignments.js'
import type { Manifest } from '../kube/kube-object.js'
import type { ImportDiscovery } from './import-discovery.js'

/**
 * What a run found before changing anything, read once for all modes (each mode says what it
 * needs); plans are computed from this and the record of the modes before them.
 */
export interface Discovery {
  cluster: Cluster
  /** The object ID role assignments name; for a service-principal cluster, resolved through Graph. */
  kubeletObjectId: string
  registry: Registry
  /** Role assignments at the registry's scope and above it, for every principal (attach, detach, check). */
  assignments: Assignment[]
  /** Source digests and existing target tags (import). */
  imports: ImportDiscovery
  /** The objects of `manifests`, read from the workspace before sign-in (deploy). */
  manifests: Manifest[]
  /**
   * `create-registry` only: whether the registry existed, and if not, ARM's word on its name. While
   * it is missing, `registry` is the one the run would create, not yet in Azure.
   */
  registryState?: { exists: true } | { exists: false; nameCheck: NameCheck }
}
