// The end-to-end tests run dist/index.js as the runner does; build it from the current source first,
// so a change in src/ is never tested against a stale bundle. (`.ci/run` also fails when the
// committed dist/ differs from what the source builds to.)
import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

export default function buildDist() {
  const root = resolve(import.meta.dirname, '..')
  const built = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' })
  if (built.status !== 0) throw new Error(`npm run build failed before the tests:\n${built.stdout}\n${built.stderr}`)
}
