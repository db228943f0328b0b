import { z } from 'zod';
import type { SettingProblem } from '../errors';
import { MIN_VALIDITY_HEADROOM_MS } from '../policy/tokenPolicy';
import { durations, formatIsoDuration } from '../time/duration';
import { type ApimService, parseApimResourceId, SERVICE_ALIAS } from './apimServices';
import { REQUIRED_IN_AZURE, requiredMessage, runsInAzure } from './requiredSettings';
import { rotationEnvironment, rotationSettings } from './rotationSettings';
import { duration, httpsUrl, integer, jsonText, optionalDuration, setting } from './settingSchemas';

/** Settings that point the broker at local emulators; App Service sets `WEBSITE_INSTANCE_ID`. */
export const LOCAL_ONLY_SETTINGS = ['BROKER_LOCAL_CA_CERT', 'BROKER_LOCAL_BEARER_TOKEN', 'BROKER_LOCAL_ISSUER_URL'] as const;

/** The operations callers are authorized for, each by app role. */
export type Operation = 'ssoToken' | 'gatewayToken' | 'authorizationServerRead' | 'licenseSpringSsoUrl' | 'rotate' | 'tokenStatus';

const DEFAULT_ROLES: Record<Operation, string> = {
  ssoToken: 'Broker.SsoToken',
  gatewayToken: 'Broker.GatewayToken',
  authorizationServerRead: 'Broker.AuthorizationServer.Read',
  licenseSpringSsoUrl: 'Broker.LicenseSpring.SsoUrl',
  rotate: 'Broker.Rotate',
  /** Metadata of a published token, never its value: for those who rotate and those who consume. */
  tokenStatus: 'Broker.Rotate,Broker.GatewayToken',
};

/**
 * Problems that only the raw environment can show, so they are reported even when other
 * settings fail to parse: local-only settings in Azure, and Azure's required hardening.
 */
export function azureOnlyProblems(env: NodeJS.ProcessEnv): SettingProblem[] {
  if (!runsInAzure(env)) return [];
  const refused = LOCAL_ONLY_SETTINGS.filter((setting) => env[setting]).map((setting) => ({
    setting,
    message: 'is for local runs and tests only and is refused in Azure',
  }));
  const missing = Object.entries(REQUIRED_IN_AZURE)
    .filter(([setting]) => !env[setting])
    .map(([setting, reason]) => ({ setting, message: `is required in Azure: ${reason}` }));
  return [...refused, ...missing];
}

/** The upstream's own limit on a gateway token's lifetime. */
export const GATEWAY_TOKEN_HARD_LIMIT_MS = 30 * durations.DAY;
/** APIM's SSO tokens are valid for 5 minutes from issue; nothing configures that. */
export const SSO_TOKEN_LIFETIME_MS = 5 * durations.MINUTE;

const API_VERSION = /^\d{4}-\d{2}-\d{2}(-preview)?$/;

const apiVersion = (fallback: string) =>
  setting()
    .transform((value) => value ?? fallback)
    .pipe(z.string().regex(API_VERSION, 'must be an api-version such as 2024-05-01'));

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const APP_ROLE = /^[A-Za-z0-9._:-]{1,120}$/;
/** RFC 6750's scope-token, so the scope can be named in a `WWW-Authenticate` challenge as it is. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,120}$/;

const list = (fallback?: string) =>
  setting().transform((value) =>
    (value ?? fallback ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

const roleList = (fallback: string) =>
  list(fallback).pipe(
    z.array(z.string().regex(APP_ROLE, 'must list app role values (letters, digits, . _ : -)')).min(1, 'must name at least one app role'),
  );

const ROLE_SCOPES_SHAPE = 'a JSON object: {"<role>": {"services": [...], "gateways": [...]}}';

/** Per-role limits on what a caller holding that role may ask for; absent: no limit. */
const roleScopes = setting().pipe(
  jsonText(ROLE_SCOPES_SHAPE)
    .pipe(
      z.record(
        z.string().regex(APP_ROLE),
        z.strictObject({ services: z.array(z.string().min(1)).min(1).optional(), gateways: z.array(z.string().min(1)).min(1).optional() }),
        { error: `must be ${ROLE_SCOPES_SHAPE}` },
      ),
    )
    .optional()
    .transform((scopes) => new Map(Object.entries(scopes ?? {}))),
);

const apimServices = z
  .string({ error: requiredMessage('BROKER_APIM_SERVICES') })
  .pipe(jsonText('a JSON object of alias to resource ID'))
  .transform((parsed, ctx) => {
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a non-empty JSON object of alias to resource ID' });
      return z.NEVER;
    }
    const services = new Map<string, ApimService>();
    for (const [alias, resourceId] of Object.entries(parsed)) {
      if (!SERVICE_ALIAS.test(alias)) {
        ctx.addIssue({ code: 'custom', message: `alias '${alias}' must be 1-50 letters, digits, '-' or '_'` });
        continue;
      }
      const service = typeof resourceId === 'string' ? parseApimResourceId(alias, resourceId) : `'${alias}' must map to a string`;
      if (typeof service === 'string') ctx.addIssue({ code: 'custom', message: service });
      else if (services.has(alias.toLowerCase())) ctx.addIssue({ code: 'custom', message: `alias '${alias}' is given twice` });
      else services.set(alias.toLowerCase(), service);
    }
    return services;
  });

/**
 * Every setting the broker reads, by its environment name. Parsed once at start; all problems
 * are reported together. The README's configuration table documents each one.
 */
export const environmentSchema = z
  .object({
    BROKER_APIM_SERVICES: z.preprocess((value) => (value === '' ? undefined : value), apimServices),
    BROKER_ARM_ENDPOINT: httpsUrl('https://management.azure.com'),
    BROKER_APIM_API_VERSION_SSO_TOKEN: apiVersion('2022-08-01'),
    BROKER_APIM_API_VERSION_GATEWAY_TOKEN: apiVersion('2022-08-01'),
    BROKER_APIM_API_VERSION_AUTHORIZATION_SERVER: apiVersion('2024-05-01'),
    BROKER_LICENSESPRING_ENDPOINT: httpsUrl('https://api.licensespring.com'),
    BROKER_LICENSESPRING_API_KEY: z.string({ error: requiredMessage('BROKER_LICENSESPRING_API_KEY') }).min(1),
    BROKER_LICENSESPRING_SHARED_KEY: z.string({ error: requiredMessage('BROKER_LICENSESPRING_SHARED_KEY') }).min(1),
    BROKER_LICENSESPRING_PUBLIC_KEY: setting(),
    BROKER_CLOCK_SKEW: duration('PT60S'),
    BROKER_GATEWAY_TOKEN_MAX_LIFETIME: optionalDuration(),
    BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME: optionalDuration(),
    BROKER_SSO_MIN_VALIDITY: duration('PT60S'),
    BROKER_UPSTREAM_MAX_ATTEMPTS: integer(3, 1, 10),
    BROKER_UPSTREAM_RETRY_DELAY_MS: integer(200, 0, 60_000),
    BROKER_UPSTREAM_ATTEMPT_TIMEOUT_MS: integer(10_000, 100, 120_000),
    BROKER_UPSTREAM_BUDGET_MS: integer(10_000, 100, 120_000),
    BROKER_KEY_VAULT_URL: setting().pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional()),
    BROKER_KEY_VAULT_TIMEOUT_MS: integer(3_000, 100, 60_000),
    BROKER_STORED_TOKEN_FORMAT: setting()
      .transform((value) => value ?? 'gateway-key')
      .pipe(z.enum(['gateway-key', 'raw'], { error: "must be 'gateway-key' or 'raw'" })),
    BROKER_GATEWAY_MIN_VALIDITY: duration('P1D'),
    BROKER_AUTHORIZATION_SERVER_CACHE_TTL: duration('PT60S'),
    BROKER_NOT_FOUND_CACHE_TTL: duration('PT30S'),
    BROKER_MEMORY_MAX_TOKENS: integer(10_000, 1, 1_000_000),
    BROKER_MEMORY_MAX_NOT_FOUND: integer(1_000, 1, 1_000_000),
    BROKER_MEMORY_MAX_AUTHORIZATION_SERVERS: integer(1_000, 1, 1_000_000),
    BROKER_MEMORY_MAX_VERIFIED_TOKENS: integer(1_000, 1, 1_000_000),
    BROKER_AUTH_MODE: setting()
      .transform((value) => value ?? 'jwt')
      .pipe(z.enum(['jwt', 'easyauth'], { error: "must be 'jwt' or 'easyauth'" })),
    BROKER_AUTH_TENANT_ID: z.string({ error: requiredMessage('BROKER_AUTH_TENANT_ID') }).regex(GUID, 'must be a tenant GUID'),
    BROKER_AUTH_AUDIENCES: list().pipe(z.array(z.string()).min(1, requiredMessage('BROKER_AUTH_AUDIENCES'))),
    BROKER_AUTH_AUTHORITY: httpsUrl('https://login.microsoftonline.com'),
    BROKER_AUTH_V1_ISSUER: setting().pipe(
      z
        .url({ protocol: /^https$/, error: 'must be an https:// URL' })
        .transform((value) => value.replace(/\/+$/, ''))
        .optional(),
    ),
    BROKER_AUTH_JWKS_MIN_REFRESH: duration('PT5M'),
    BROKER_AUTH_DELEGATED_SCOPE: setting()
      .transform((value) => value ?? 'access_as_user')
      .pipe(
        z
          .string()
          .regex(
            SCOPE_TOKEN,
            "must be one scope value of the broker's app registration (printable ASCII, no spaces, quotes or backslashes)",
          ),
      ),
    BROKER_ROLES_SSO_TOKEN: roleList(DEFAULT_ROLES.ssoToken),
    BROKER_ROLES_GATEWAY_TOKEN: roleList(DEFAULT_ROLES.gatewayToken),
    BROKER_ROLES_AUTHORIZATION_SERVER: roleList(DEFAULT_ROLES.authorizationServerRead),
    BROKER_ROLES_LICENSESPRING: roleList(DEFAULT_ROLES.licenseSpringSsoUrl),
    BROKER_ROLES_ROTATE: roleList(DEFAULT_ROLES.rotate),
    BROKER_ROLES_TOKEN_STATUS: roleList(DEFAULT_ROLES.tokenStatus),
    BROKER_ROLE_SCOPES: roleScopes,
    BROKER_MINT_LIMIT_PER_MINUTE: integer(6, 1, 10_000),
    BROKER_AUDIT_HMAC_KEY: z
      .string({ error: requiredMessage('BROKER_AUDIT_HMAC_KEY') })
      .refine((value) => Buffer.from(value, 'base64').length >= 32, 'must be base64 of at least 32 bytes'),
    BROKER_LOCAL_ISSUER_URL: setting().pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional()),
    BROKER_LOCAL_CA_CERT: setting(),
    BROKER_LOCAL_BEARER_TOKEN: setting(),
    WEBSITE_INSTANCE_ID: setting(),
    ...rotationEnvironment,
  })
  .transform((env, ctx) => {
    const skewMs = env.BROKER_CLOCK_SKEW;
    const ceilingMs = GATEWAY_TOKEN_HARD_LIMIT_MS - skewMs;
    const maxLifetimeMs = env.BROKER_GATEWAY_TOKEN_MAX_LIFETIME ?? ceilingMs;
    const defaultLifetimeMs = env.BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME ?? maxLifetimeMs;
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });

    if (skewMs > 2 * durations.MINUTE) problem('BROKER_CLOCK_SKEW', 'must be at most PT2M');
    if (maxLifetimeMs > ceilingMs || maxLifetimeMs <= 0) {
      problem(
        'BROKER_GATEWAY_TOKEN_MAX_LIFETIME',
        `must be positive and at most ${formatIsoDuration(ceilingMs)} (30 days minus the clock skew)`,
      );
    }
    if (defaultLifetimeMs > maxLifetimeMs || defaultLifetimeMs <= 0) {
      problem('BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME', 'must be positive and at most the maximum lifetime');
    }
    const longestMinValidityMs = maxLifetimeMs - skewMs - MIN_VALIDITY_HEADROOM_MS;
    if (env.BROKER_GATEWAY_MIN_VALIDITY > longestMinValidityMs) {
      problem(
        'BROKER_GATEWAY_MIN_VALIDITY',
        `must be at most ${formatIsoDuration(Math.max(0, longestMinValidityMs))} (the maximum lifetime less the clock skew and one hour)`,
      );
    }
    if (env.BROKER_SSO_MIN_VALIDITY + skewMs >= SSO_TOKEN_LIFETIME_MS) {
      problem('BROKER_SSO_MIN_VALIDITY', 'plus the clock skew must stay under the 5-minute SSO token lifetime');
    }

    return {
      inAzure: env.WEBSITE_INSTANCE_ID !== undefined,
      services: env.BROKER_APIM_SERVICES,
      arm: {
        endpoint: env.BROKER_ARM_ENDPOINT,
        scope: `${env.BROKER_ARM_ENDPOINT}/.default`,
        apiVersions: {
          ssoToken: env.BROKER_APIM_API_VERSION_SSO_TOKEN,
          gatewayToken: env.BROKER_APIM_API_VERSION_GATEWAY_TOKEN,
          authorizationServer: env.BROKER_APIM_API_VERSION_AUTHORIZATION_SERVER,
        },
      },
      licenseSpring: {
        endpoint: env.BROKER_LICENSESPRING_ENDPOINT,
        apiKey: env.BROKER_LICENSESPRING_API_KEY,
        sharedKey: env.BROKER_LICENSESPRING_SHARED_KEY,
        publicKey: env.BROKER_LICENSESPRING_PUBLIC_KEY,
      },
      policy: {
        clockSkewMs: skewMs,
        gatewayTokenMaxLifetimeMs: maxLifetimeMs,
        gatewayTokenDefaultLifetimeMs: defaultLifetimeMs,
        ssoMinValidityMs: env.BROKER_SSO_MIN_VALIDITY,
        gatewayMinValidityMs: env.BROKER_GATEWAY_MIN_VALIDITY,
        authorizationServerTtlMs: env.BROKER_AUTHORIZATION_SERVER_CACHE_TTL,
        notFoundTtlMs: env.BROKER_NOT_FOUND_CACHE_TTL,
      },
      memory: {
        tokens: env.BROKER_MEMORY_MAX_TOKENS,
        notFound: env.BROKER_MEMORY_MAX_NOT_FOUND,
        authorizationServers: env.BROKER_MEMORY_MAX_AUTHORIZATION_SERVERS,
        verifiedTokens: env.BROKER_MEMORY_MAX_VERIFIED_TOKENS,
      },
      cache: {
        keyVaultUrl: env.BROKER_KEY_VAULT_URL?.replace(/\/+$/, ''),
        keyVaultTimeoutMs: env.BROKER_KEY_VAULT_TIMEOUT_MS,
        storedTokenFormat: env.BROKER_STORED_TOKEN_FORMAT,
      },
      upstream: {
        maxAttempts: env.BROKER_UPSTREAM_MAX_ATTEMPTS,
        retryDelayMs: env.BROKER_UPSTREAM_RETRY_DELAY_MS,
        attemptTimeoutMs: env.BROKER_UPSTREAM_ATTEMPT_TIMEOUT_MS,
        budgetMs: env.BROKER_UPSTREAM_BUDGET_MS,
      },
      auth: authSettings(env, problem),
      mintLimitPerMinute: env.BROKER_MINT_LIMIT_PER_MINUTE,
      auditKey: Buffer.from(env.BROKER_AUDIT_HMAC_KEY, 'base64'),
      rotation: rotationSettings(env, env.BROKER_APIM_SERVICES, maxLifetimeMs, problem),
      local: { caCert: env.BROKER_LOCAL_CA_CERT, bearerToken: env.BROKER_LOCAL_BEARER_TOKEN },
    };
  });

interface AuthEnvironment {
  BROKER_AUTH_MODE: 'jwt' | 'easyauth';
  BROKER_AUTH_TENANT_ID: string;
  BROKER_AUTH_AUDIENCES: string[];
  BROKER_AUTH_AUTHORITY: string;
  BROKER_AUTH_V1_ISSUER?: string;
  BROKER_AUTH_JWKS_MIN_REFRESH: number;
  BROKER_AUTH_DELEGATED_SCOPE: string;
  BROKER_ROLE_SCOPES: Map<string, { services?: string[]; gateways?: string[] }>;
  BROKER_LOCAL_ISSUER_URL?: string;
  BROKER_ROLES_SSO_TOKEN: string[];
  BROKER_ROLES_GATEWAY_TOKEN: string[];
  BROKER_ROLES_AUTHORIZATION_SERVER: string[];
  BROKER_ROLES_LICENSESPRING: string[];
  BROKER_ROLES_ROTATE: string[];
  BROKER_ROLES_TOKEN_STATUS: string[];
}

/**
 * The v1 token service of each Entra cloud, by the host of its authority (v1 tokens' `iss` is
 * `{sts}/{tenant}/`; v2 tokens' is `{authority}/{tenant}/v2.0`). Sources:
 * https://learn.microsoft.com/entra/identity-platform/authentication-national-cloud (authority hosts;
 * MSAL names login.chinacloudapi.cn for China too) and
 * https://learn.microsoft.com/answers/questions/1190472/what-are-the-token-issuers-for-the-sovereign-cloud
 * (v1 issuers: sts.windows.net for the global cloud and US Government, sts.chinacloudapi.cn for China).
 */
const V1_TOKEN_SERVICES: ReadonlyMap<string, string> = new Map([
  ['login.microsoftonline.com', 'https://sts.windows.net'],
  ['login.microsoftonline.us', 'https://sts.windows.net'],
  ['login.chinacloudapi.cn', 'https://sts.chinacloudapi.cn'],
  ['login.partner.microsoftonline.cn', 'https://sts.chinacloudapi.cn'],
]);

/**
 * The tenant's v1 and v2 issuers and its JWKS. The v1 token service follows the cloud of the
 * authority, or `BROKER_AUTH_V1_ISSUER` where set; an authority of no known cloud without it is a
 * configuration problem, since guessing would refuse every v1 token (or trust another cloud's).
 * A local issuer (local runs only) serves the same shapes under its own URL.
 */
function authSettings(env: AuthEnvironment, problem: (setting: string, message: string) => void) {
  const tenant = env.BROKER_AUTH_TENANT_ID.toLowerCase();
  const local = env.BROKER_LOCAL_ISSUER_URL?.replace(/\/+$/, '');
  const authority = local ?? env.BROKER_AUTH_AUTHORITY;
  const v1TokenService = env.BROKER_AUTH_V1_ISSUER ?? local ?? V1_TOKEN_SERVICES.get(new URL(authority).host);
  if (v1TokenService === undefined) {
    problem(
      'BROKER_AUTH_V1_ISSUER',
      `is required when BROKER_AUTH_AUTHORITY is no known Entra cloud (${[...V1_TOKEN_SERVICES.keys()].join(', ')}): that cloud's v1 token service, e.g. https://sts.windows.net`,
    );
  }
  return {
    mode: env.BROKER_AUTH_MODE,
    tenantId: tenant,
    audiences: env.BROKER_AUTH_AUDIENCES,
    issuers: [`${v1TokenService}/${tenant}/`, `${authority}/${tenant}/v2.0`],
    jwksUrl: `${authority}/${tenant}/discovery/v2.0/keys`,
    jwksMinRefreshMs: env.BROKER_AUTH_JWKS_MIN_REFRESH,
    /** The scope a delegated token must carry in `scp`, as the broker's app registration exposes it; application tokens carry none. */
    delegatedScope: env.BROKER_AUTH_DELEGATED_SCOPE,
    roles: {
      ssoToken: env.BROKER_ROLES_SSO_TOKEN,
      gatewayToken: env.BROKER_ROLES_GATEWAY_TOKEN,
      authorizationServerRead: env.BROKER_ROLES_AUTHORIZATION_SERVER,
      licenseSpringSsoUrl: env.BROKER_ROLES_LICENSESPRING,
      rotate: env.BROKER_ROLES_ROTATE,
      tokenStatus: env.BROKER_ROLES_TOKEN_STATUS,
    } satisfies Record<Operation, string[]>,
    roleScopes: env.BROKER_ROLE_SCOPES,
  };
}

export type AuthSettings = ReturnType<typeof authSettings>;

export type BrokerConfig = z.output<typeof environmentSchema>;
