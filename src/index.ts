import http from 'node:http'
import { run } from './main.js'

// Self-hosted runners behind a proxy export HTTPS_PROXY/NO_PROXY but start actions without
// NODE_USE_ENV_PROXY; this gives Node's own fetch and https the same proxy the Azure SDK uses.
http.setGlobalProxyFromEnv?.()

await run()
