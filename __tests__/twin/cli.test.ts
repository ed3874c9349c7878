import { describe, it, expect } from '@jest/globals'
import { spawn } from 'node:child_process'

describe('node twin/cli.ts', () => {
  it('runs under plain type stripping, prints env + inputs, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['twin/cli.ts'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const printed = await new Promise<Record<string, any>>((resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c
        try {
          resolve(JSON.parse(out))
        } catch {
          /* not complete yet */
        }
      })
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)))
    })
    expect(printed.env).toMatchObject({
      NODE_USE_ENV_PROXY: '1',
      NO_PROXY: '127.0.0.1,localhost',
      INPUT_CLUSTER: 'myAKSCluster',
      INPUT_REGISTRY: 'myacr'
    })
    expect(printed.inputs['arm-endpoint']).toBe(printed.url)
    expect(printed.scenario.kubeletObjectId).toMatch(/^[0-9a-f-]{36}$/)
    const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
  })
})
