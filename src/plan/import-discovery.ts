import type { Registry } from '../azure/registries.js'
import type { ImportSpec } from '../settings/imports.js'

/** What was learned about one import's source before deciding anything. */
export interface SourceState {
  spec: ImportSpec
  /** The source registry when it is an Azure Container Registry (imported by resource ID). */
  acr: Registry | undefined
  /** The source as a full reference, for messages and outputs. */
  display: string
  /** The manifest digest the source resolves to, when the registry told us. */
  digest: string | undefined
  /** Why this source cannot be imported (missing, refused), when that is already known. */
  problem: string | undefined
}

export interface ImportDiscovery {
  sources: SourceState[]
  /** Digest of each `repo:tag` that already exists in the target registry (absent: not there). */
  targetDigests: Map<string, string>
  /** False in force mode, where existing tags are overwritten without being read. */
  targetsRead: boolean
}
