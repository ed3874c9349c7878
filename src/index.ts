import * as core from '@actions/core'

// The runner runs this file twice, as the step and as its post step; state saved by the step
// tells them apart. Each loads only its own code.
if (core.getState('isPost') === 'true') {
  const { post } = await import('./post.js')
  await post()
} else {
  core.saveState('isPost', 'true')
  const { run } = await import('./main.js')
  await run()
}
