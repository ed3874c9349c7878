import * as core from '@actions/core'
import { run } from './main.js'
import { post } from './post.js'

// The runner runs this file twice, as the step and as its post step; state saved by the step
// tells them apart.
if (core.getState('isPost') === 'true') {
  await post()
} else {
  core.saveState('isPost', 'true')
  await run()
}

// Outputs, state and the summary are written by now. A timer or socket some library left behind
// must not hold the job open, so the step ends here once the log has been flushed.
await new Promise<void>((resolve) => process.stdout.write('', () => resolve()))
await new Promise<void>((resolve) => process.stderr.write('', () => resolve()))
process.exit()
