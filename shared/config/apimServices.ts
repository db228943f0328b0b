/** One API Management instance the broker may act on, addressed by ARM resource ID. */
export interface ApimService {
  alias: string;
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
  /** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}` */
  resourceId: string;
}

const RESOURCE_ID =
  /^\/subscriptions\/(?<subscriptionId>[^/]+)\/resourceGroups\/(?<resourceGroup>[^/]+)\/providers\/Microsoft\.ApiManagement\/service\/(?<serviceName>[^/]+)$/i;
const SUBSCRIPTION_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const RESOURCE_GROUP = /^[-\w._()]{1,90}$/;
const SERVICE_NAME = /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/;
export const SERVICE_ALIAS = /^[A-Za-z0-9][A-Za-z0-9_-]{0,49}$/;

/** Parses one resource ID, or says in one sentence what is wrong with it. */
export function parseApimResourceId(alias: string, resourceId: string): ApimService | string {
  const groups = RESOURCE_ID.exec(resourceId)?.groups;
  if (!groups) {
    return `'${alias}' must be an API Management resource ID: /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.ApiManagement/service/{name}`;
  }
  const { subscriptionId = '', resourceGroup = '', serviceName = '' } = groups;
  if (!SUBSCRIPTION_ID.test(subscriptionId)) return `'${alias}': the subscription ID must be a UUID`;
  if (!RESOURCE_GROUP.test(resourceGroup)) return `'${alias}': the resource group name breaks Azure's naming rules`;
  if (serviceName.length > 50 || !SERVICE_NAME.test(serviceName)) {
    return `'${alias}': the service name must be 1-50 letters, digits or hyphens, starting with a letter`;
  }
  return { alias, subscriptionId, resourceGroup, serviceName, resourceId };
}
