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
