import https from 'node:https'

export interface HttpsResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  header(name: string): string | undefined
  text: string
}

/**
 * One agent for the action's own HTTPS calls (registries, API servers), honouring
 * HTTPS_PROXY/NO_PROXY as the Azure SDK does. Node's global fetch is not used: a bundled undici
 * may replace its dispatcher, and then the environment's proxy is silently ignored.
 */
const sharedAgent = new https.Agent({ keepAlive: true, proxyEnv: process.env })

export function httpsRequest(
  url: string,
  options: { method: string; headers?: Record<string, string>; body?: string; timeoutMs?: number; agent?: https.Agent }
): Promise<HttpsResponse> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: options.method,
        agent: options.agent ?? sharedAgent,
        headers: { 'user-agent': 'aks-acr-action', ...options.headers, ...(options.body !== undefined ? { 'content-length': String(Buffer.byteLength(options.body)) } : {}) },
        timeout: options.timeoutMs ?? 30_000
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('error', reject)
        response.on('end', () => {
          const headers = response.headers
          resolve({
            status: response.statusCode ?? 0,
            headers,
            header: (name) => {
              const value = headers[name.toLowerCase()]
              return Array.isArray(value) ? value.join(', ') : value
            },
            text: Buffer.concat(chunks).toString('utf8')
          })
        })
      }
    )
    request.on('timeout', () => request.destroy(new Error(`no answer from ${new URL(url).host} within ${options.timeoutMs ?? 30_000} ms`)))
    request.on('error', reject)
    request.end(options.body)
  })
}

/** Ends keep-alive sockets so the process can exit as soon as the run is done. */
export function closeSharedAgent(): void {
  sharedAgent.destroy()
}
