import { z } from 'zod';

/** ARM's error body, in both api-versions the broker uses. */
export const armErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string().optional() }),
});

export const ssoTokenResultSchema = z.object({ redirectUri: z.url({ protocol: /^https$/ }) });

export const gatewayTokenContractSchema = z.object({ value: z.string().min(1) });

/**
 * An endpoint URL without user information (`https://user:pass@host/...` names a credential).
 * A value that is no http(s) URL could hide one in any form and no client could call it, so it
 * is left out. A URL without user information comes back exactly as APIM sent it.
 */
const endpointUrl = z
  .string()
  .transform((value) => {
    const url = URL.canParse(value) ? new URL(value) : undefined;
    if (url?.protocol !== 'https:' && url?.protocol !== 'http:') return undefined;
    if (url.username === '' && url.password === '') return value;
    url.username = '';
    url.password = '';
    return url.href;
  })
  .optional();

/**
 * The fields of an AuthorizationServerContract a caller may see. Parsing strips every other
 * field, so secrets (`clientSecret`, `resourceOwnerUsername`, `resourceOwnerPassword`) and any
 * field a future api-version adds never pass: an allow-list, not a deny-list. Token body
 * parameters keep their names only: their values are often client credentials.
 */
export const authorizationServerSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.object({
    displayName: z.string().optional(),
    description: z.string().optional(),
    clientRegistrationEndpoint: endpointUrl,
    authorizationEndpoint: endpointUrl,
    authorizationMethods: z.array(z.string()).optional(),
    clientAuthenticationMethod: z.array(z.string()).optional(),
    tokenBodyParameters: z.array(z.object({ name: z.string() })).optional(),
    tokenEndpoint: endpointUrl,
    supportState: z.boolean().optional(),
    defaultScope: z.string().optional(),
    bearerTokenSendingMethods: z.array(z.string()).optional(),
    grantTypes: z.array(z.string()).optional(),
    clientId: z.string().optional(),
    useInTestConsole: z.boolean().optional(),
    useInApiDocumentation: z.boolean().optional(),
  }),
});

export type AuthorizationServer = z.output<typeof authorizationServerSchema>;
