import http from 'node:http'
import https from 'node:https'
import { classifyNetworkError, NetworkError } from '../net/network-error.js'

/** `auto` asks the metadata service only to decide; an Azure VM answers within milliseconds. */
export const AUTO_PROBE_MS = 1000
/** `auth-type: managed-identity` was asked for, so a slow answer is waited for a little longer. */
export const EXPLICIT_PROBE_MS = 5000

export type ProbeOutcome =
  { answered: true } | { answered: false; error: NetworkError } | { answered: 'not-azure'; host: string; status: number }

/**
 * Is there an Azure instance metadata service? A GET of the token path without the `Metadata`
 * header, as the Azure SDK probes it. Azure's refuses it with 400 "Required metadata header not
 * specified"; other clouds' services at the same link-local address (AWS, GCP, OpenStack) answer
 * otherwise, and are not taken for Azure's. Off any cloud the address usually swallows the
 * packets, so only the deadline ends the wait. The probe goes straight to the service, never
 * through HTTP(S)_PROXY: a proxy cannot reach this machine's link-local address (docs/network.md).
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
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (body.length < 4096) body += chunk
        })
        response.on('end', () => {
          clearTimeout(timer)
          const azure = response.statusCode === 400 && /metadata/i.test(body)
          resolve(azure ? { answered: true } : { answered: 'not-azure', host: url.host, status: response.statusCode ?? 0 })
        })
        response.on('error', (error) => {
          clearTimeout(timer)
          fail(classifyNetworkError(url.host, error))
        })
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
