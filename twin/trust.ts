import tls from 'node:tls'

/**
 * Trusts the twin's CA in this process. NODE_EXTRA_CA_CERTS is read only at
 * start-up, and the SDK's proxy agent ignores per-request TLS settings, so the
 * process-wide default CA list (Node >= 22.15 / 24) is the one place that
 * covers direct calls, proxied calls, fetch and MSAL alike.
 * Returns a function that restores the previous list.
 */
export function trustTwinCa(caPem: string): () => void {
  const before = tls.getCACertificates('default')
  tls.setDefaultCACertificates([...before, caPem])
  return () => tls.setDefaultCACertificates(before)
}
