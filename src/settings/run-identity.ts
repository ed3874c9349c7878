/**
 * Which workflow run this is, from the variables the runner gives every job. Each is absent outside
 * a runner (a local run), and then nothing is claimed about it.
 */
export interface RunIdentity {
  /** `<server>/<owner>/<repo>/actions/runs/<id>`, when the server, repository and run ID are all known. */
  url: string | undefined
  /** `owner/repo`. */
  repository: string | undefined
  runId: string | undefined
  /** 1 for the first run, 2 for its first re-run, and so on. */
  attempt: string | undefined
  /** The commit the run checked out. */
  sha: string | undefined
  /** `owner/repo/.github/workflows/deploy.yml@refs/heads/main`. */
  workflowRef: string | undefined
  /** Who started the run. */
  actor: string | undefined
}

const value = (env: NodeJS.ProcessEnv, name: string): string | undefined => env[name]?.trim() || undefined

/** Reads the run's identity; values that are not what the runner sets are left out rather than repeated. */
export function readRunIdentity(env: NodeJS.ProcessEnv): RunIdentity {
  const repository = value(env, 'GITHUB_REPOSITORY')
  const runId = value(env, 'GITHUB_RUN_ID')
  const server = value(env, 'GITHUB_SERVER_URL')
  const known = {
    repository: repository && /^[\w.-]+\/[\w.-]+$/.test(repository) ? repository : undefined,
    runId: runId && /^\d+$/.test(runId) ? runId : undefined,
    server: server && /^https:\/\/[^\s/]+$/.test(server.replace(/\/+$/, '')) ? server.replace(/\/+$/, '') : undefined
  }
  const attempt = value(env, 'GITHUB_RUN_ATTEMPT')
  const sha = value(env, 'GITHUB_SHA')
  return {
    url: known.server && known.repository && known.runId ? `${known.server}/${known.repository}/actions/runs/${known.runId}` : undefined,
    repository: known.repository,
    runId: known.runId,
    attempt: attempt && /^\d+$/.test(attempt) ? attempt : undefined,
    sha: sha && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i.test(sha) ? sha.toLowerCase() : undefined,
    workflowRef: value(env, 'GITHUB_WORKFLOW_REF'),
    actor: value(env, 'GITHUB_ACTOR')
  }
}
