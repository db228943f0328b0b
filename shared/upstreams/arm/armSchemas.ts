import { z } from 'zod';

/** ARM's error body, in both api-versions the broker uses. */
export const armErrorBodySchema = z.object({
  error: z.object({ code: z.string(), message: z.string().optional() }),
});

export const ssoTokenResultSchema = z.object({ redirectUri: z.url({ protocol: /^https$/ }) });

export const gatewayTokenContractSchema = z.object({ value: z.string().min(1) });

/**
 * The fields of an AuthorizationServerContract a caller may see. Parsing strips every other
 * field, so secrets (`clientSecret`, `resourceOwnerUsername`, `resourceOwnerPassword`) and any
 * field a future api-version adds never pass: an allow-list, not a deny-list.
 */
export const authorizationServerSchema = z.object({
  id: z.string(),
  name: z.string(),
  type: z.string(),
  properties: z.object({
    displayName: z.string().optional(),
    description: z.string().optional(),
    clientRegistrationEndpoint: z.string().optional(),
    authorizationEndpoint: z.string().optional(),
    authorizationMethods: z.array(z.string()).optional(),
    clientAuthenticationMethod: z.array(z.string()).optional(),
    tokenBodyParameters: z.array(z.object({ name: z.string(), value: z.string() })).optional(),
    tokenEndpoint: z.string().optional(),
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
