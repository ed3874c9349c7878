import type { Cluster } from '../azure/clusters.js'
import type { Registry } from '../azure/registries.js'
import type { Assignment } from '../azure/role-assignments.js'

/** What a run found in Azure before changing anything; the plan is computed from this alone. */
export interface Discovery {
  cluster: Cluster
  /** The object ID role assignments name; for a service-principal cluster, resolved through Graph. */
  kubeletObjectId: string
  registry: Registry
  /** Role assignments at the registry's scope and above it, for every principal. */
  assignments: Assignment[]
}
