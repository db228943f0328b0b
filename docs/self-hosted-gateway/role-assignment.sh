#!/usr/bin/env bash
# Grants the cluster's workload identity read access to ONE published secret of the publish Key
# Vault: Key Vault Secrets User, scoped to {vaultResourceId}/secrets/{secretName}, nothing wider.
#
#   PUBLISH_VAULT_NAME=<publish-vault-name> SECRET_NAME=gw-apimservice1--gw1 \
#   IDENTITY_NAME=<workload-identity-name> IDENTITY_RESOURCE_GROUP=<identity-resource-group> \
#   ./role-assignment.sh
#
# Run it once per published secret the cluster mounts; it changes nothing else.
set -euo pipefail

: "${PUBLISH_VAULT_NAME:?the publish Key Vault (BROKER_ROTATION_KEY_VAULT_URL), not the broker cache vault}"
: "${SECRET_NAME:?the published secret: gw-ALIAS--GATEWAY lower-cased, or the secretName of the target}"
: "${IDENTITY_NAME:?the user-assigned identity the service account of the gateway namespace federates to}"
: "${IDENTITY_RESOURCE_GROUP:?the resource group of that identity}"

# Pinned by ID, not by name: a role name can be mislabelled, the ID cannot.
readonly KEY_VAULT_SECRETS_USER=4633458b-17de-408a-b874-0445c86b69e6

vault_id=$(az keyvault show --name "$PUBLISH_VAULT_NAME" --query id --output tsv)
# A role assignment on a single secret only takes effect in the Azure RBAC permission model;
# under access policies it would silently grant nothing.
rbac=$(az keyvault show --name "$PUBLISH_VAULT_NAME" --query properties.enableRbacAuthorization --output tsv)
if [[ "$rbac" != "true" ]]; then
  echo "Key Vault $PUBLISH_VAULT_NAME does not use the Azure RBAC permission model" >&2
  exit 1
fi
principal_id=$(az identity show --name "$IDENTITY_NAME" --resource-group "$IDENTITY_RESOURCE_GROUP" --query principalId --output tsv)

az role assignment create \
  --assignee-object-id "$principal_id" \
  --assignee-principal-type ServicePrincipal \
  --role "$KEY_VAULT_SECRETS_USER" \
  --scope "$vault_id/secrets/$SECRET_NAME"
