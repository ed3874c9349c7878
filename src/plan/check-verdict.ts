import { describeGrant, pendingGrant, type KubeletAccess } from '../azure/kubelet-access.js'
import { permissionsModeName, type Registry } from '../azure/registries.js'

export interface CheckReason {
  check: 'registry' | 'network' | 'authentication' | 'role' | 'pull'
  ok: boolean | 'unknown'
  detail: string
}

export interface CheckVerdict {
  canPull: boolean | 'unknown'
  reasons: CheckReason[]
}

/**
 * Pure: the answer the reasons add up to. A pod that pulled is proof and outweighs every inference;
 * otherwise one failed check is a no, all passed is a yes, and anything undecided ('unknown': a
 * private endpoint, a firewall, a condition this action cannot read) leaves the answer unknown.
 */
export function canPullFrom(reasons: readonly CheckReason[]): boolean | 'unknown' {
  if (reasons.some((reason) => reason.check === 'pull' && reason.ok === true)) return true
  if (reasons.some((reason) => reason.ok === false)) return false
  return reasons.every((reason) => reason.ok === true) ? true : 'unknown'
}

/** Pure: can the cluster's nodes pull from the registry, as far as Azure's configuration tells. */
export function checkVerdict(
  registry: Registry,
  access: KubeletAccess,
  kubeletObjectId: string,
  repository: string | undefined,
  probe: CheckReason | undefined,
  now = Date.now()
): CheckVerdict {
  const mode = permissionsModeName(registry.permissionsMode)
  if (registry.planned) {
    // Nothing about a registry that does not exist yet is known: Azure Policy may set its network access on creation.
    const later = 'known once create-registry has created it (this run is a dry run)'
    return {
      canPull: 'unknown',
      reasons: [
        { check: 'registry', ok: 'unknown', detail: `${registry.loginServer} does not exist yet: create-registry would create it` },
        { check: 'network', ok: 'unknown', detail: later },
        { check: 'authentication', ok: 'unknown', detail: later },
        { check: 'role', ok: 'unknown', detail: later }
      ]
    }
  }
  const reasons: CheckReason[] = [{ check: 'registry', ok: true, detail: `${registry.loginServer} exists (${mode})` }]

  if (registry.publicNetworkAccess === 'Disabled') {
    reasons.push(
      registry.privateEndpoints > 0
        ? {
            check: 'network',
            ok: 'unknown',
            detail:
              'public network access is disabled; nodes must reach the registry through its private endpoint (the cluster VNet must resolve privatelink.azurecr.io)'
          }
        : {
            check: 'network',
            ok: false,
            detail: 'public network access is disabled and the registry has no private endpoint: nodes cannot reach it'
          }
    )
  } else if (registry.networkDefaultAction === 'Deny') {
    reasons.push({
      check: 'network',
      ok: 'unknown',
      detail: "the registry firewall denies by default; the cluster's outbound IPs or subnet must be allowed"
    })
  } else {
    reasons.push({ check: 'network', ok: true, detail: 'public network access is enabled' })
  }

  reasons.push(
    registry.armTokensAccepted
      ? { check: 'authentication', ok: true, detail: 'the registry accepts Entra ID tokens, which the kubelet presents' }
      : {
          check: 'authentication',
          ok: false,
          detail:
            'the registry refuses Entra tokens with the ARM audience (azureADAuthenticationAsArmPolicy disabled), which the kubelet presents'
        }
  )

  const scope = repository ? ` for repository ${repository}` : ''
  const held = access.findings.length ? access.findings.join('; ') : 'no role assignment covers the registry'
  // A grant younger than RBAC propagation is a yes that the registry may not honour for minutes.
  const pending = access.canPull === true ? pendingGrant(access.grants, now) : undefined
  const propagating = pending
    ? `; the ${describeGrant(pending, now)}: Azure RBAC propagation can take minutes before the registry honours it`
    : ''
  reasons.push({
    check: 'role',
    ok: access.canPull,
    detail:
      access.canPull === true
        ? `the kubelet identity ${kubeletObjectId} may pull${scope}: ${held}${propagating}`
        : access.canPull === 'unknown'
          ? `cannot tell whether the kubelet identity ${kubeletObjectId} may pull${scope}: ${held}`
          : `the kubelet identity ${kubeletObjectId} may not pull${scope}: ${held}; run with mode: attach`
  })
  if (probe) reasons.push(probe)
  return { canPull: canPullFrom(reasons), reasons }
}
