/** The emulated operations, named by their `operationId` in the Microsoft.ApiManagement REST specification. */
export const ARM_OPERATIONS = [
  'Gateway_GenerateToken',
  'ApiManagementService_GetSsoToken',
  'AuthorizationServer_Get',
  'Gateway_ListKeys',
  'Gateway_RegenerateKey',
] as const;

export type ArmOperation = (typeof ARM_OPERATIONS)[number];

/**
 * The API Management instance's gateway configuration endpoint, which a self-hosted gateway's
 * `config.service.endpoint` points at and which it calls with `Authorization: GatewayKey <token>`.
 * Not an ARM operation (no bearer, no RBAC action); the name is this project's.
 */
export const GATEWAY_CONFIGURATION = 'Gateway_Configuration';

/** Everything the ARM emulator serves and counts. */
export const ARM_EMULATOR_OPERATIONS = [...ARM_OPERATIONS, GATEWAY_CONFIGURATION] as const;
export type ArmEmulatorOperation = (typeof ARM_EMULATOR_OPERATIONS)[number];

/** The Azure RBAC action each operation requires; ARM names it in an `AuthorizationFailed` error. */
export const ARM_OPERATION_ACTIONS: Readonly<Record<ArmOperation, string>> = {
  Gateway_GenerateToken: 'Microsoft.ApiManagement/service/gateways/generateToken/action',
  ApiManagementService_GetSsoToken: 'Microsoft.ApiManagement/service/getssotoken/action',
  AuthorizationServer_Get: 'Microsoft.ApiManagement/service/authorizationServers/read',
  Gateway_ListKeys: 'Microsoft.ApiManagement/service/gateways/listKeys/action',
  Gateway_RegenerateKey: 'Microsoft.ApiManagement/service/gateways/regenerateKey/action',
};

/** The child resource collection an operation acts on, below the service; undefined for the service itself. */
export const ARM_OPERATION_COLLECTIONS: Readonly<Record<ArmOperation, 'gateways' | 'authorizationServers' | undefined>> = {
  Gateway_GenerateToken: 'gateways',
  ApiManagementService_GetSsoToken: undefined,
  AuthorizationServer_Get: 'authorizationServers',
  Gateway_ListKeys: 'gateways',
  Gateway_RegenerateKey: 'gateways',
};

export function serviceResourceId(subscriptionId: string, resourceGroup: string, service: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ApiManagement/service/${service}`;
}
