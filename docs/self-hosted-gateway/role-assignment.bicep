// Key Vault Secrets User for the cluster's workload identity on ONE published secret of the
// publish Key Vault, the Bicep twin of role-assignment.sh. Deploy it to the vault's resource group.
// The vault must use the Azure RBAC permission model: under access policies a secret-scoped
// assignment grants nothing.

@description('The publish Key Vault (BROKER_ROTATION_KEY_VAULT_URL), not the broker\'s own vault.')
param publishVaultName string

@description('The published secret: gw-{alias}--{gateway} lower-cased (gw-apimservice1--gw1), or the target\'s secretName.')
param secretName string

@description('Principal (object) ID of the user-assigned identity the gateway namespace\'s service account federates to.')
param principalId string

// Pinned by ID, not by name: a role name can be mislabelled, the ID cannot.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource publishVault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: publishVaultName
}

resource publishedSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: publishVault
  name: secretName
}

resource readPublishedSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: publishedSecret
  name: guid(publishedSecret.id, principalId, keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
