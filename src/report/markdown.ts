import type { Cloud } from '../settings/clouds.js'

/** A table cell never ends early on a `|` in a name or a message. */
export function escape(text: string): string {
  return text.replace(/\|/g, '\\|')
}

/** A link that opens a resource in the portal of the run's cloud, in the right directory (the default one when unknown). */
export function portalLink(cloud: Cloud, tenantId: string | undefined, resourceId: string, blade = ''): string {
  return `${cloud.portal}/#${tenantId ? `@${tenantId}/` : ''}resource${resourceId}${blade ? `/${blade}` : ''}`
}
