/**
 * Built-in role definitions as Azure publishes them (Azure RBAC built-in roles
 * reference). Permissions matter: the twin decides every ARM call with them.
 */
export interface Permission {
  actions: string[]
  notActions: string[]
  dataActions: string[]
  notDataActions: string[]
}

export interface RoleDefinition {
  guid: string
  roleName: string
  description: string
  roleType: 'BuiltInRole' | 'CustomRole'
  permissions: Permission[]
  assignableScopes: string[]
  /** Custom roles live in one subscription; built-ins everywhere. */
  subscriptionId?: string
}

const perm = (actions: string[], dataActions: string[] = [], notActions: string[] = []): Permission[] => [
  { actions, notActions, dataActions, notDataActions: [] }
]

const builtIn = (guid: string, roleName: string, description: string, permissions: Permission[]): RoleDefinition => ({
  guid,
  roleName,
  description,
  roleType: 'BuiltInRole',
  permissions,
  assignableScopes: ['/']
})

const repo = 'Microsoft.ContainerRegistry/registries/repositories'
const aks = 'Microsoft.ContainerService/managedClusters'
const aksRbacReads = [
  'Microsoft.Authorization/*/read',
  'Microsoft.Resources/subscriptions/operationresults/read',
  'Microsoft.Resources/subscriptions/read',
  'Microsoft.Resources/subscriptions/resourceGroups/read'
]

export const BUILT_IN_ROLES: RoleDefinition[] = [
  builtIn(
    '8e3af657-a8ff-443c-a75c-2fe8c4bcb635',
    'Owner',
    'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.',
    perm(['*'])
  ),
  builtIn(
    'b24988ac-6180-42a0-ab88-20f7382dd24c',
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    perm(
      ['*'],
      [],
      [
        'Microsoft.Authorization/*/Delete',
        'Microsoft.Authorization/*/Write',
        'Microsoft.Authorization/elevateAccess/Action',
        'Microsoft.Blueprint/blueprintAssignments/write',
        'Microsoft.Blueprint/blueprintAssignments/delete',
        'Microsoft.Compute/galleries/share/action',
        'Microsoft.Purview/consents/write',
        'Microsoft.Purview/consents/delete',
        'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
        'Microsoft.Subscription/cancel/action',
        'Microsoft.Subscription/enable/action'
      ]
    )
  ),
  builtIn(
    'acdd72a7-3385-48ef-bd42-f606fba81ae7',
    'Reader',
    'View all resources, but does not allow you to make any changes.',
    perm(['*/read'])
  ),
  builtIn(
    '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9',
    'User Access Administrator',
    'Lets you manage user access to Azure resources.',
    perm(['*/read', 'Microsoft.Authorization/*', 'Microsoft.Support/*'])
  ),
  builtIn(
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    perm([
      'Microsoft.Authorization/roleAssignments/write',
      'Microsoft.Authorization/roleAssignments/delete',
      '*/read',
      'Microsoft.Support/*'
    ])
  ),
  builtIn('7f951dda-4ed3-4680-a7ca-43fe172d538d', 'AcrPull', 'acr pull', perm(['Microsoft.ContainerRegistry/registries/pull/read'])),
  builtIn(
    '8311e382-0749-4cb8-b61a-304f252e45ec',
    'AcrPush',
    'acr push',
    perm(['Microsoft.ContainerRegistry/registries/pull/read', 'Microsoft.ContainerRegistry/registries/push/write'])
  ),
  builtIn(
    'c2f4ef07-c644-48eb-af81-4b1b4947fb11',
    'AcrDelete',
    'acr delete',
    perm(['Microsoft.ContainerRegistry/registries/artifacts/delete'])
  ),
  builtIn(
    '6cef56e8-d556-48e5-a04f-b8e64114680f',
    'AcrImageSigner',
    'acr image signer',
    perm(['Microsoft.ContainerRegistry/registries/sign/write'], ['Microsoft.ContainerRegistry/registries/trustedCollections/write'])
  ),
  builtIn(
    'b93aa761-3e63-49ed-ac28-beffa264f7ac',
    'Container Registry Repository Reader',
    'Allows for read access to Azure Container Registry repositories, but excluding catalog listing.',
    perm([], [`${repo}/metadata/read`, `${repo}/content/read`])
  ),
  builtIn(
    '2a1e307c-b015-4ebd-883e-5b7698a07328',
    'Container Registry Repository Writer',
    'Allows for read and write access to Azure Container Registry repositories, but excluding catalog listing.',
    perm([], [`${repo}/metadata/read`, `${repo}/content/read`, `${repo}/metadata/write`, `${repo}/content/write`])
  ),
  builtIn(
    '2efddaa5-3f1f-4df3-97df-af3f13818f4c',
    'Container Registry Repository Contributor',
    'Allows for read, write, and delete access to Azure Container Registry repositories, but excluding catalog listing.',
    perm(
      [],
      [
        `${repo}/metadata/read`,
        `${repo}/content/read`,
        `${repo}/metadata/write`,
        `${repo}/content/write`,
        `${repo}/metadata/delete`,
        `${repo}/content/delete`
      ]
    )
  ),
  // Permissions approximated from its published description (import, list, read, pull; no push).
  builtIn(
    '577a9874-89fd-4f24-9dbd-b5034d0ad23a',
    'Container Registry Data Importer and Data Reader',
    'Provides the ability to import images into a registry through the registry import operation. Provides the ability to list repositories, view images and tags, get manifests, and pull images.',
    perm(
      [
        'Microsoft.ContainerRegistry/registries/importImage/action',
        'Microsoft.ContainerRegistry/registries/read',
        'Microsoft.ContainerRegistry/registries/pull/read'
      ],
      ['Microsoft.ContainerRegistry/registries/catalog/read', `${repo}/metadata/read`, `${repo}/content/read`]
    )
  ),
  builtIn(
    'bfdb9389-c9a5-478a-bb2f-ba9ca092c3c7',
    'Container Registry Repository Catalog Lister',
    'Allows for listing all repositories in an Azure Container Registry.',
    perm([], ['Microsoft.ContainerRegistry/registries/catalog/read'])
  ),
  // AKS: credentials (control plane) and, on Azure RBAC clusters, the Kubernetes API (data actions).
  builtIn(
    '4abbcc35-e782-43d8-92c5-2d3f1bd2253f',
    'Azure Kubernetes Service Cluster User Role',
    'List cluster user credential action.',
    perm([`${aks}/listClusterUserCredential/action`, `${aks}/read`])
  ),
  builtIn(
    '0ab0b1a8-8aac-4efd-b8c2-3ee1fb270be8',
    'Azure Kubernetes Service Cluster Admin Role',
    'List cluster admin credential action.',
    perm([
      `${aks}/listClusterAdminCredential/action`,
      `${aks}/accessProfiles/listCredential/action`,
      `${aks}/read`,
      `${aks}/runcommand/action`
    ])
  ),
  builtIn(
    'b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b',
    'Azure Kubernetes Service RBAC Cluster Admin',
    'Lets you manage all resources in the cluster.',
    perm([...aksRbacReads, `${aks}/listClusterUserCredential/action`], [`${aks}/*`])
  ),
  builtIn(
    '3498e952-d568-435e-9b2c-8d77e338d7f7',
    'Azure Kubernetes Service RBAC Admin',
    'Lets you manage all resources under cluster/namespace, except update or delete resource quotas and namespaces.',
    [
      {
        actions: [...aksRbacReads, `${aks}/listClusterUserCredential/action`],
        notActions: [],
        dataActions: [`${aks}/*`],
        notDataActions: [
          `${aks}/resourcequotas/write`,
          `${aks}/resourcequotas/delete`,
          `${aks}/namespaces/write`,
          `${aks}/namespaces/delete`
        ]
      }
    ]
  ),
  builtIn(
    'a7ffa36f-339b-4b5c-8bdf-e2c188b2c0eb',
    'Azure Kubernetes Service RBAC Writer',
    'Allows read/write access to most objects in a namespace.',
    perm(aksRbacReads, [
      ...[
        'apps/controllerrevisions/read',
        'apps/daemonsets/*',
        'apps/deployments/*',
        'apps/replicasets/*',
        'apps/statefulsets/*',
        'autoscaling/horizontalpodautoscalers/*',
        'batch/cronjobs/*',
        'batch/jobs/*',
        'configmaps/*',
        'endpoints/*',
        'events.k8s.io/events/read',
        'events/*',
        'namespaces/read',
        'networking.k8s.io/ingresses/*',
        'persistentvolumeclaims/*',
        'pods/*',
        'replicationcontrollers/*',
        'secrets/*',
        'serviceaccounts/*',
        'services/*'
      ].map((a) => `${aks}/${a}`)
    ])
  ),
  builtIn(
    '7f6c6a51-bcf8-42ba-9220-52d62157d7db',
    'Azure Kubernetes Service RBAC Reader',
    'Allows read-only access to see most objects in a namespace. It does not allow viewing roles or role bindings. This role does not allow viewing Secrets.',
    perm(aksRbacReads, [
      ...[
        'apps/controllerrevisions/read',
        'apps/daemonsets/read',
        'apps/deployments/read',
        'apps/replicasets/read',
        'apps/statefulsets/read',
        'autoscaling/horizontalpodautoscalers/read',
        'batch/cronjobs/read',
        'batch/jobs/read',
        'configmaps/read',
        'endpoints/read',
        'events.k8s.io/events/read',
        'events/read',
        'namespaces/read',
        'networking.k8s.io/ingresses/read',
        'persistentvolumeclaims/read',
        'pods/read',
        'replicationcontrollers/read',
        'serviceaccounts/read',
        'services/read'
      ].map((a) => `${aks}/${a}`)
    ])
  )
]

/** ARM's wildcard semantics: `*` spans segments, comparison ignores case. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*') +
      '$',
    'i'
  )
  return re.test(action)
}

export function grants(def: RoleDefinition, action: string, data = false): boolean {
  return def.permissions.some((p) => {
    const allow = data ? p.dataActions : p.actions
    const deny = data ? p.notDataActions : p.notActions
    return allow.some((a) => actionMatches(a, action)) && !deny.some((a) => actionMatches(a, action))
  })
}
