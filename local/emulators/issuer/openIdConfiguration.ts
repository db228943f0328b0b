import type { AccessTokenVersion } from './accessTokenClaims';
import { SIGNING_ALGORITHM } from './signingKeys';

/**
 * The `iss` of the local issuer's tokens. Entra's v2 issuer is `https://login.microsoftonline.com/{tenant}/v2.0`
 * and its v1 issuer `https://sts.windows.net/{tenant}/`; locally both live under the emulator's own
 * URL (v2 `<url>/{tenant}/v2.0`, v1 `<url>/{tenant}/`), so the broker's configuration lists the local
 * issuer's two forms where in Azure it lists Entra's.
 */
export function issuerUrl(baseUrl: string, tenant: string, version: AccessTokenVersion): string {
  return version === 1 ? `${baseUrl}/${tenant}/` : `${baseUrl}/${tenant}/v2.0`;
}

export function openIdConfigurationUrl(baseUrl: string, tenant: string): string {
  return `${baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`;
}

export function jwksUrl(baseUrl: string, tenant: string): string {
  return `${baseUrl}/${tenant}/discovery/v2.0/keys`;
}

/**
 * Entra's v2.0 tenant metadata document, minus the entries that point at other Microsoft hosts
 * (Graph userinfo, Kerberos, cloud instance names). The authorization and token endpoints are
 * advertised because OpenID Connect discovery requires them, but the emulator does not serve them:
 * tests and local runs get tokens from `LocalIssuer.mintToken`.
 */
export function openIdConfiguration(baseUrl: string, tenant: string): Record<string, unknown> {
  const tenantUrl = `${baseUrl}/${tenant}`;
  return {
    token_endpoint: `${tenantUrl}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
    jwks_uri: jwksUrl(baseUrl, tenant),
    response_modes_supported: ['query', 'fragment', 'form_post'],
    subject_types_supported: ['pairwise'],
    id_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
    response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
    scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
    issuer: issuerUrl(baseUrl, tenant, 2),
    request_uri_parameter_supported: false,
    authorization_endpoint: `${tenantUrl}/oauth2/v2.0/authorize`,
    claims_supported: [
      'sub',
      'iss',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'acr',
      'nonce',
      'preferred_username',
      'name',
      'tid',
      'ver',
      'at_hash',
      'c_hash',
      'email',
    ],
  };
}
