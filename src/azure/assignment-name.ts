import { createHash } from 'node:crypto'

/**
 * A role assignment name derived from what it grants (scope, role, principal), as a name-based
 * UUID (version 5 layout). Concurrent matrix jobs and re-runs all PUT the same name, so ARM's
 * 409 makes them converge on one assignment instead of racing to create several.
 */
export function assignmentName(scope: string, roleGuid: string, principalId: string): string {
  const hash = createHash('sha1')
    .update(`aks-acr-action|${scope.toLowerCase()}|${roleGuid.toLowerCase()}|${principalId.toLowerCase()}`)
    .digest()
  hash[6] = (hash[6]! & 0x0f) | 0x50
  hash[8] = (hash[8]! & 0x3f) | 0x80
  const hex = hash.subarray(0, 16).toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`
}
