/** Why a request got no HTTP answer. */
export type NetworkFailure =
  | 'dns' // the name does not resolve from here
  | 'refused' // nothing listens at that address
  | 'reset' // the connection broke mid-exchange
  | 'connect-timeout' // no connection (TCP, proxy tunnel, TLS) within the deadline
  | 'timeout' // connected, but no (complete) answer within the deadline
  | 'tls' // the server's certificate was not accepted
  | 'proxy' // the proxy (HTTPS_PROXY) answered the tunnel request with an error
  | 'other'

const WORDS: Record<NetworkFailure, string> = {
  dns: 'its name does not resolve from the runner',
  refused: 'the connection was refused',
  reset: 'the connection was reset',
  'connect-timeout': 'no connection could be made',
  timeout: 'it did not answer',
  tls: 'the TLS handshake failed',
  proxy: 'the proxy (HTTPS_PROXY) could not connect to it',
  other: 'the request failed'
}

const CODES: Record<NetworkFailure, string> = {
  dns: 'NameNotResolved',
  refused: 'ConnectionRefused',
  reset: 'ConnectionReset',
  'connect-timeout': 'ConnectTimeout',
  timeout: 'NoAnswer',
  tls: 'TlsHandshakeFailed',
  proxy: 'ProxyTunnelFailed',
  other: 'NetworkError'
}

/**
 * A request that got no HTTP answer. The message names the host and the failure in words (never a
 * bare `ENOTFOUND` or a stack); the original error stays on `cause` for the debug log, and callers
 * add what they know about the host (a private cluster, authorized IP ranges).
 */
export class NetworkError extends Error {
  readonly host: string
  readonly failure: NetworkFailure
  /** What went wrong, without the host: `it did not answer (no answer within 20 s)`. */
  readonly reason: string

  constructor(host: string, failure: NetworkFailure, detail?: string, options: { cause?: unknown } = {}) {
    const reason = `${WORDS[failure]}${detail ? ` (${detail})` : ''}`
    super(`Could not reach ${host}: ${reason}`, options)
    this.name = 'NetworkError'
    this.host = host
    this.failure = failure
    this.reason = reason
  }

  /** A stable name for the failure, kept as the error code in messages and outputs. */
  get code(): string {
    return CODES[this.failure]
  }

  /** Broken or refused connections are worth another try for idempotent requests; the rest would fail the same way. */
  get transient(): boolean {
    return this.failure === 'reset' || this.failure === 'refused'
  }
}

/** Node's error codes, and its built-in proxy's tunnel errors, mapped onto the failures above. */
export function classifyNetworkError(host: string, error: unknown): NetworkError {
  if (error instanceof NetworkError) return error
  const e = (error ?? {}) as { code?: string; message?: string; statusCode?: number; proxyTunnelTimeout?: number }
  const code = e.code ?? ''
  const message = e.message ?? String(error)
  const make = (failure: NetworkFailure, detail?: string) => new NetworkError(host, failure, detail, { cause: error })
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') return make('dns')
  if (code === 'ECONNREFUSED') return make('refused')
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED' || /socket hang up/i.test(message)) return make('reset')
  if (code === 'ETIMEDOUT' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH') return make('connect-timeout')
  if (code === 'ERR_PROXY_TUNNEL') {
    if (e.proxyTunnelTimeout !== undefined || /timed out/i.test(message)) return make('connect-timeout', 'through the proxy')
    if (e.statusCode !== undefined) return make('proxy', `HTTP ${e.statusCode}`)
    return make('reset', 'the proxy tunnel closed')
  }
  if (/^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|ERR_OSSL)/.test(code)) return make('tls', message)
  return make('other', message)
}
