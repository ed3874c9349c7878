/** What differs between Azure clouds: where to send requests, which audiences to ask tokens for. */
export interface Cloud {
  name: CloudName
  armEndpoint: string
  /** Tokens for ARM are asked for this audience, not the endpoint: custom endpoints keep their cloud's audience. */
  armAudience: string
  authorityHost: string
  graphEndpoint: string
  graphAudience: string
  acrSuffix: string
  portal: string
}

export const CLOUD_NAMES = ['AzureCloud', 'AzureChinaCloud', 'AzureUSGovernment'] as const
export type CloudName = (typeof CLOUD_NAMES)[number]

export const CLOUDS: Record<CloudName, Cloud> = {
  AzureCloud: {
    name: 'AzureCloud',
    armEndpoint: 'https://management.azure.com',
    armAudience: 'https://management.core.windows.net/',
    authorityHost: 'https://login.microsoftonline.com',
    graphEndpoint: 'https://graph.microsoft.com',
    graphAudience: 'https://graph.microsoft.com',
    acrSuffix: 'azurecr.io',
    portal: 'https://portal.azure.com'
  },
  AzureChinaCloud: {
    name: 'AzureChinaCloud',
    armEndpoint: 'https://management.chinacloudapi.cn',
    armAudience: 'https://management.core.chinacloudapi.cn/',
    authorityHost: 'https://login.chinacloudapi.cn',
    graphEndpoint: 'https://microsoftgraph.chinacloudapi.cn',
    graphAudience: 'https://microsoftgraph.chinacloudapi.cn',
    acrSuffix: 'azurecr.cn',
    portal: 'https://portal.azure.cn'
  },
  AzureUSGovernment: {
    name: 'AzureUSGovernment',
    armEndpoint: 'https://management.usgovcloudapi.net',
    armAudience: 'https://management.core.usgovcloudapi.net/',
    authorityHost: 'https://login.microsoftonline.us',
    graphEndpoint: 'https://graph.microsoft.us',
    graphAudience: 'https://graph.microsoft.us',
    acrSuffix: 'azurecr.us',
    portal: 'https://portal.azure.us'
  }
}

/**
 * The `.default` scope of an audience. ARM's audience ends in a slash and Entra expects the scope
 * to keep it (`https://management.core.windows.net//.default`), as the Azure CLI sends it.
 */
export function defaultScope(audience: string): string {
  return `${audience}/.default`
}
