import * as core from '@actions/core'

/** What the gate needs of a Kubernetes client: the requests of `kube/kube-client.ts`. */
export interface KubeWriter {
  request<T>(
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined>; deadline?: number }
  ): Promise<{ status: number; body: T }>
}

/**
 * The one door every change goes through. In a dry run Azure changes are described and skipped,
 * and Kubernetes writes carry `dryRun=All`, so the API server validates them and stores nothing;
 * the twin's request log proves that no other write leaves the runner. It sits below the clients
 * that call it (the apply, the probe, the rollback), so they need nothing from the steps above.
 */
export class Mutations {
  readonly dryRun: boolean

  constructor(dryRun: boolean) {
    this.dryRun = dryRun
  }

  /** An Azure change (role assignment, import): run it, or in a dry run say what it would be. */
  async azure<T>(description: string, change: () => Promise<T>): Promise<T | undefined> {
    if (this.dryRun) {
      core.info(`Dry run: would ${description}`)
      return undefined
    }
    return change()
  }

  /** A kubectl write in a command pod (run-command clusters): a dry run asks the server to validate it only. */
  kubectl(args: string[]): string[] {
    return this.dryRun ? [...args, '--dry-run=server'] : args
  }

  /** A Kubernetes write (apply, create, patch, delete): a dry run asks the server to validate it only. */
  kube<T = unknown>(
    client: KubeWriter,
    method: 'PATCH' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined>; deadline?: number } = {}
  ): Promise<{ status: number; body: T }> {
    return client.request<T>(method, path, { ...options, query: { ...options.query, dryRun: this.dryRun ? 'All' : undefined } })
  }
}
