import type { Cloud } from '../azure/clouds.js'

/** A link that opens a resource in the portal of the run's cloud, in the right directory. */
export function portalLink(cloud: Cloud, tenantId: string, resourceId: string, blade = ''): string {
  return `${cloud.portal}/#@${tenantId}/resource${resourceId}${blade ? `/${blade}` : ''}`
}
