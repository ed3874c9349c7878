import { afterAll, beforeAll } from '@jest/globals'
import { startTwin, type Twin } from '../../twin/index.ts'
import { buildWorld, type World } from './world.ts'

/** One twin and world for the tests of a file, started before them and closed after. */
export function withTwin(use: (started: { twin: Twin; world: World }) => void): void {
  let twin: Twin | undefined
  beforeAll(async () => {
    twin = await startTwin()
    use({ twin, world: buildWorld(twin) })
  })
  afterAll(async () => {
    await twin?.close()
  })
}
