/**
 * The ABAC condition that limits a Container Registry Repository role to some repositories: any
 * action other than reading repository content or metadata passes untouched; reads pass only for
 * the named repositories (exact names) or prefixes (entries ending in `*`).
 * Returns undefined when no limit applies (no entries, or `*`).
 */
export function repositoryCondition(repositories: readonly string[]): string | undefined {
  if (repositories.length === 0 || repositories.includes('*')) return undefined
  const attribute = '@Request[Microsoft.ContainerRegistry/registries/repositories:name]'
  const tests = [...repositories]
    .sort()
    .map((entry) =>
      entry.endsWith('*')
        ? `${attribute} StringStartsWithIgnoreCase '${entry.slice(0, -1)}'`
        : `${attribute} StringEqualsIgnoreCase '${entry}'`
    )
  return [
    '(',
    ' (',
    "  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})",
    '  AND',
    "  !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})",
    ' )',
    ' OR',
    ' (',
    `  ${tests.join('\n  OR\n  ')}`,
    ' )',
    ')'
  ].join('\n')
}

export const CONDITION_VERSION = '2.0'

/** Compares conditions as ARM may reformat white space in what it stores. */
export function sameCondition(a: string | undefined, b: string | undefined): boolean {
  const normalize = (value: string | undefined) => (value ?? '').replace(/\s+/g, '').toLowerCase()
  return normalize(a) === normalize(b)
}
