import { InputError } from '../errors.js'

/**
 * Repository names as ACR accepts them (lowercase path components separated by `/`), or a
 * prefix ending in `*` (`team-a/*`), which an ABAC condition matches with StringStartsWith.
 */
const REPOSITORY = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/

export function parseRepositories(raw: string): string[] {
  const entries = raw
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0)
  for (const entry of entries) {
    const name = entry.endsWith('*') ? entry.slice(0, -1).replace(/[/._-]$/, '') : entry
    if (!(entry === '*' || REPOSITORY.test(name))) {
      throw new InputError(
        'repositories',
        `'${entry}' is not a repository name or prefix (lowercase letters, digits, '.', '_', '-' and '/', optionally ending in '*')`
      )
    }
  }
  return [...new Set(entries)]
}
