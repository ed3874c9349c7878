import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeWorkspaces } from '../__tests__/e2e/workspace.ts'

/** Temporary directories the bench made, removed at the end (or on interruption). */
const temps = new Set<string>()

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `aks-acr-bench-${prefix}-`))
  temps.add(dir)
  return dir
}

export function removeTemps(): void {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true })
  temps.clear()
  removeWorkspaces()
}
