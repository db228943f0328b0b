/**
 * Response bodies of the official Azure REST API examples (azure-rest-api-specs, `x-ms-examples`,
 * Microsoft.ApiManagement 2024-05-01), embedded because the emulator runs on a user's clone where
 * the vector files are not beside the project. A test keeps them equal to
 * `test/fixtures/vectors/apim/*.json`.
 */

/** `2024-05-01_ApiManagementGetAuthorizationServer.json`, 200 body. It returns a password on GET, as the example does. */
export const EXAMPLE_AUTHORIZATION_SERVER = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1/authorizationServers/newauthServer2',
  type: 'Microsoft.ApiManagement/service/authorizationServers',
  name: 'newauthServer2',
  properties: {
    displayName: 'test3',
    useInTestConsole: false,
    useInApiDocumentation: true,
    description: 'test server',
    clientRegistrationEndpoint: 'https://www.contoso.com/apps',
    authorizationEndpoint: 'https://www.contoso.com/oauth2/auth',
    authorizationMethods: ['GET'],
    clientAuthenticationMethod: ['Basic'],
    tokenEndpoint: 'https://www.contoso.com/oauth2/token',
    supportState: true,
    defaultScope: 'read write',
    grantTypes: ['authorizationCode', 'implicit'],
    bearerTokenSendingMethods: ['authorizationHeader'],
    clientId: '1',
    resourceOwnerUsername: 'un',
    resourceOwnerPassword: 'pwd',
  },
} as const;

/** `2024-05-01_ApiManagementServiceGetSsoToken.json`, 200 body. */
export const EXAMPLE_SSO_TOKEN = {
  redirectUri:
    'https://apimService1.portal.azure-api.net:443/signin-sso?token=1%26201705301929%26eIkr3%2fnfaLs1GVJ0OVbzkJjAcwPFkEZAPM8VUXvXPf7cJ6lWsB9oUwsk2zln9x0KLkn21txCPJWWheSPq7SNeA%3d%3d',
} as const;

/** `2024-05-01_ApiManagementGatewayGenerateToken.json`, 200 body; its embedded date (2019) does not match the example request (2020). */
export const EXAMPLE_GATEWAY_TOKEN = {
  value: 'gw1&201904210044&9A1GR1f5WIhFvFmzQG+xxxxxxxxxxx/kBeu87DWad3tkasUXuvPL+MgzlwUHyg==',
} as const;

/** `2024-05-01_ApiManagementGatewayListKeys.json`, 200 body. */
export const EXAMPLE_GATEWAY_KEYS = {
  primary: 'primary_key_value',
  secondary: 'secondary_key_value',
} as const;
