import http from 'node:http'
import https from 'node:https'
import { classifyNetworkError, NetworkError } from '../net/network-error.js'

/** `auto` asks the metadata service only to decide; an Azure VM answers within milliseconds. */
export const AUTO_PROBE_MS = 1000
/** `auth-type: managed-identity` was asked for, so a slow answer is waited for a little longer. */
export const EXPLICIT_PROBE_MS = 5000

export type ProbeOutcome = { answered: true } | { answered: false; error: NetworkError }

/**
 * Is there an instance metadata service? A GET of the token path without the `Metadata` header,
 * as the Azure SDK probes it: any HTTP answer (IMDS refuses it with 400) means yes. Off Azure the
 * link-local address usually swallows the packets, so only the deadline ends the wait. The probe
 * goes straight to the service, never through HTTP(S)_PROXY: a proxy cannot reach this machine's
 * link-local address (docs/network.md).
 */
export function probeMetadataService(metadataHost: string, deadlineMs: number): Promise<ProbeOutcome> {
  const url = new URL('/metadata/identity/oauth2/token', metadataHost)
  const transport = url.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    const fail = (error: NetworkError) => resolve({ answered: false, error })
    const request = transport.get(
      url,
      { agent: new transport.Agent({ keepAlive: false }), headers: { accept: 'application/json' } },
      (response) => {
        response.resume()
        clearTimeout(timer)
        resolve({ answered: true })
      }
    )
    const timer = setTimeout(() => {
      fail(new NetworkError(url.host, 'timeout', `no answer within ${deadlineMs / 1000} s`))
      request.destroy()
    }, deadlineMs)
    request.on('error', (error) => {
      clearTimeout(timer)
      fail(classifyNetworkError(url.host, error))
    })
  })
}
