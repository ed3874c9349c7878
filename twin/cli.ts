/**
 * `node twin/cli.ts`: a seeded twin for trying the action by hand. Prints the
 * environment and inputs a runner step would get, then serves until stopped.
 */
import { startTwin } from './index.ts'
import { inputEnv, scenarioInputs, seedScenario } from './scenario.ts'

const twin = await startTwin()
const scenario = seedScenario(twin, { graphRead: process.argv.includes('--graph-read') })
const inputs = scenarioInputs(twin)

// Installed before printing: whoever reads the output may signal at once.
const stop = async () => {
  await twin.close()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())

process.stdout.write(
  JSON.stringify(
    {
      url: twin.url,
      proxyUrl: twin.proxyUrl,
      caFile: twin.caFile,
      env: { ...twin.env(), ...inputEnv(inputs) },
      inputs,
      scenario: {
        ...scenario.ids,
        kubeletObjectId: scenario.kubeletObjectId,
        registryId: scenario.registry.id,
        clusterId: scenario.cluster.id
      }
    },
    null,
    2
  ) + '\n'
)
