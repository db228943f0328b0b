import { loadConfig } from '../../../../shared/config/loadConfig';
import { missingRequiredSettings, REQUIRED_IN_AZURE, REQUIRED_SETTINGS } from '../../../../shared/config/requiredSettings';
import { BrokerError, ConfigurationInvalidError } from '../../../../shared/errors';
import { errorBody } from '../../../../shared/http/brokerHandler';

const SERVICE_ID =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1';
const valid = {
  BROKER_APIM_SERVICES: JSON.stringify({ apimService1: SERVICE_ID }),
  BROKER_LICENSESPRING_API_KEY: 'api-key',
  BROKER_LICENSESPRING_SHARED_KEY: 'shared-key',
  BROKER_AUTH_TENANT_ID: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  BROKER_AUTH_AUDIENCES: 'api://token-broker, 3f2c9d0e-0000-4000-8000-000000000001',
  BROKER_AUDIT_HMAC_KEY: Buffer.alloc(32, 7).toString('base64'),
};

function refusal(env: NodeJS.ProcessEnv): ConfigurationInvalidError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationInvalidError);
    return error as ConfigurationInvalidError;
  }
  throw new Error('configuration was accepted');
}

const problems = (env: NodeJS.ProcessEnv): string[] => refusal(env).problems;

describe('configuration', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(valid);
    expect(config.arm.endpoint).toBe('https://management.azure.com');
    expect(config.arm.scope).toBe('https://management.azure.com/.default');
    expect(config.arm.apiVersions).toEqual({ ssoToken: '2022-08-01', gatewayToken: '2022-08-01', authorizationServer: '2024-05-01' });
    expect(config.licenseSpring.endpoint).toBe('https://api.licensespring.com');
    expect(config.policy).toEqual({
      clockSkewMs: 60_000,
      gatewayTokenMaxLifetimeMs: 30 * 86_400_000 - 60_000,
      gatewayTokenDefaultLifetimeMs: 30 * 86_400_000 - 60_000,
      notFoundTtlMs: 30_000,
      ssoMinValidityMs: 60_000,
      gatewayMinValidityMs: 86_400_000,
      authorizationServerTtlMs: 60_000,
    });
    expect(config.cache).toEqual({
      keyVaultUrl: undefined,
      keyVaultTimeoutMs: 3_000,
      storedTokenFormat: 'gateway-key',
    });
    expect(config.upstream).toEqual({ maxAttempts: 3, retryDelayMs: 200, attemptTimeoutMs: 10_000, budgetMs: 10_000 });
    expect(config.memory).toEqual({ tokens: 10_000, notFound: 1_000, authorizationServers: 1_000, verifiedTokens: 1_000 });
    expect(config.services.get('apimservice1')?.serviceName).toBe('apimService1');
  });

  it("derives the tenant's v1 and v2 issuers, JWKS and default roles", () => {
    const { auth } = loadConfig(valid);
    expect(auth.issuers).toEqual([
      'https://sts.windows.net/72f988bf-86f1-41af-91ab-2d7cd011db47/',
      'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0',
    ]);
    expect(auth.jwksUrl).toBe('https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys');
    expect(auth.audiences).toEqual(['api://token-broker', '3f2c9d0e-0000-4000-8000-000000000001']);
    expect(auth.mode).toBe('jwt');
    expect(auth.delegatedScope).toBe('access_as_user');
    expect(loadConfig({ ...valid, BROKER_AUTH_DELEGATED_SCOPE: 'user_impersonation' }).auth.delegatedScope).toBe('user_impersonation');
    expect(auth.roles.gatewayToken).toEqual(['Broker.GatewayToken']);
    expect(loadConfig(valid).mintLimitPerMinute).toBe(6);
  });

  it.each([
    ['https://login.microsoftonline.com', 'https://sts.windows.net'],
    ['https://login.microsoftonline.us', 'https://sts.windows.net'],
    ['https://login.chinacloudapi.cn', 'https://sts.chinacloudapi.cn'],
    ['https://login.partner.microsoftonline.cn/', 'https://sts.chinacloudapi.cn'],
  ])('takes the v1 issuer from the cloud of the authority %s', (authority, tokenService) => {
    const { auth } = loadConfig({ ...valid, BROKER_AUTH_AUTHORITY: authority });
    expect(auth.issuers).toEqual([
      `${tokenService}/72f988bf-86f1-41af-91ab-2d7cd011db47/`,
      `${authority.replace(/\/$/, '')}/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0`,
    ]);
  });

  it('takes the v1 issuer from BROKER_AUTH_V1_ISSUER over the table', () => {
    const { auth } = loadConfig({
      ...valid,
      BROKER_AUTH_AUTHORITY: 'https://login.example.test',
      BROKER_AUTH_V1_ISSUER: 'https://sts.example.test/',
    });
    expect(auth.issuers[0]).toBe('https://sts.example.test/72f988bf-86f1-41af-91ab-2d7cd011db47/');
    expect(loadConfig({ ...valid, BROKER_AUTH_V1_ISSUER: 'https://sts.example.test' }).auth.issuers[0]).toBe(
      'https://sts.example.test/72f988bf-86f1-41af-91ab-2d7cd011db47/',
    );
  });

  it('refuses an authority of no known cloud without BROKER_AUTH_V1_ISSUER, naming that setting', () => {
    const listed = problems({ ...valid, BROKER_AUTH_AUTHORITY: 'https://login.example.test' });
    expect(listed).toEqual([
      expect.stringMatching(/^BROKER_AUTH_V1_ISSUER is required when BROKER_AUTH_AUTHORITY is no known Entra cloud/),
    ]);
    expect(listed[0]).not.toContain('login.example.test');
  });

  it('derives the token scope from a sovereign-cloud ARM endpoint', () => {
    const config = loadConfig({ ...valid, BROKER_ARM_ENDPOINT: 'https://management.usgovcloudapi.net/' });
    expect(config.arm.scope).toBe('https://management.usgovcloudapi.net/.default');
  });

  it('names every missing setting in one message', () => {
    const listed = problems({});
    expect(listed).toEqual([
      expect.stringMatching(/^BROKER_APIM_SERVICES is required/),
      expect.stringMatching(/^BROKER_LICENSESPRING_API_KEY is required/),
      expect.stringMatching(/^BROKER_LICENSESPRING_SHARED_KEY is required/),
      expect.stringMatching(/^BROKER_AUTH_TENANT_ID is required/),
      expect.stringMatching(/^BROKER_AUTH_AUDIENCES is required/),
      expect.stringMatching(/^BROKER_AUDIT_HMAC_KEY is required/),
    ]);
  });

  it.each([
    ['BROKER_APIM_SERVICES', 'not json'],
    ['BROKER_APIM_SERVICES', JSON.stringify({ a: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ApiManagement/service/s' })],
    ['BROKER_APIM_SERVICES', JSON.stringify({ 'bad alias!': SERVICE_ID })],
    ['BROKER_ARM_ENDPOINT', 'http://management.azure.com'],
    ['BROKER_LICENSESPRING_ENDPOINT', 'not a url'],
    ['BROKER_APIM_API_VERSION_GATEWAY_TOKEN', 'latest'],
    ['BROKER_CLOCK_SKEW', '60'],
    ['BROKER_CLOCK_SKEW', 'PT3M'],
    ['BROKER_GATEWAY_TOKEN_MAX_LIFETIME', 'P30D'],
    ['BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME', 'P31D'],
    ['BROKER_SSO_MIN_VALIDITY', 'PT5M'],
    ['BROKER_UPSTREAM_MAX_ATTEMPTS', 'three'],
    ['BROKER_UPSTREAM_RETRY_DELAY_MS', '-1'],
    ['BROKER_UPSTREAM_ATTEMPT_TIMEOUT_MS', '1.5'],
    ['BROKER_UPSTREAM_BUDGET_MS', '99'],
    ['BROKER_KEY_VAULT_URL', 'http://vault.local'],
    ['BROKER_STORED_TOKEN_FORMAT', 'pem'],
    ['BROKER_GATEWAY_MIN_VALIDITY', 'P31D'],
    ['BROKER_GATEWAY_MIN_VALIDITY', 'P29DT22H59M'],
    ['BROKER_NOT_FOUND_CACHE_TTL', '30'],
    ['BROKER_MEMORY_MAX_TOKENS', '0'],
    ['BROKER_MEMORY_MAX_NOT_FOUND', 'many'],
    ['BROKER_MEMORY_MAX_AUTHORIZATION_SERVERS', '-5'],
    ['BROKER_MEMORY_MAX_VERIFIED_TOKENS', '1e9'],
    ['BROKER_AUTHORIZATION_SERVER_CACHE_TTL', 'soon'],
    ['BROKER_AUTH_TENANT_ID', 'contoso.onmicrosoft.com'],
    ['BROKER_AUTH_AUDIENCES', ' , '],
    ['BROKER_AUTH_MODE', 'anonymous'],
    ['BROKER_AUTH_AUTHORITY', 'http://login.microsoftonline.com'],
    ['BROKER_AUTH_V1_ISSUER', 'http://sts.windows.net'],
    ['BROKER_AUTH_DELEGATED_SCOPE', 'access_as_user User.Read'],
    ['BROKER_AUTH_DELEGATED_SCOPE', 'say"hi'],
    ['BROKER_AUTH_DELEGATED_SCOPE', 'back\\slash'],
    ['BROKER_ROLES_GATEWAY_TOKEN', 'has space'],
    ['BROKER_ROLE_SCOPES', '{"Broker.GatewayToken": {"gateway": ["gw1"]}}'],
    ['BROKER_MINT_LIMIT_PER_MINUTE', '0'],
    ['BROKER_AUDIT_HMAC_KEY', 'c2hvcnQ='],
    ['BROKER_LOCAL_ISSUER_URL', 'http://127.0.0.1:1234'],
  ])('names %s when it is %j', (name, value) => {
    const listed = problems({ ...valid, [name]: value });
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(new RegExp(`^${name} `));
  });

  it('lists several wrong settings together', () => {
    const listed = problems({ ...valid, BROKER_CLOCK_SKEW: 'x', BROKER_ARM_ENDPOINT: 'ftp://x', BROKER_UPSTREAM_MAX_ATTEMPTS: '0' });
    expect(listed.map((line) => line.split(' ')[0]).sort()).toEqual(
      ['BROKER_ARM_ENDPOINT', 'BROKER_CLOCK_SKEW', 'BROKER_UPSTREAM_MAX_ATTEMPTS'].sort(),
    );
  });

  it('refuses the local CA and local credential in Azure, and requires the LicenseSpring public key there', () => {
    const listed = problems({
      ...valid,
      WEBSITE_INSTANCE_ID: 'abc',
      BROKER_LOCAL_CA_CERT: 'pem',
      BROKER_LOCAL_BEARER_TOKEN: 't',
      BROKER_LOCAL_ISSUER_URL: 'https://127.0.0.1:1234',
    });
    expect(listed).toEqual([
      expect.stringMatching(/^BROKER_LOCAL_CA_CERT is for local runs/),
      expect.stringMatching(/^BROKER_LOCAL_BEARER_TOKEN is for local runs/),
      expect.stringMatching(/^BROKER_LOCAL_ISSUER_URL is for local runs/),
      expect.stringMatching(/^BROKER_LICENSESPRING_PUBLIC_KEY is required in Azure/),
      expect.stringMatching(/^BROKER_KEY_VAULT_URL is required in Azure/),
    ]);
  });

  it('never echoes a secret value in its messages', () => {
    const listed = problems({ ...valid, WEBSITE_INSTANCE_ID: 'abc', BROKER_LOCAL_BEARER_TOKEN: 'super-secret-token' });
    expect(listed.join('\n')).not.toContain('super-secret-token');
  });

  it('needs exactly the settings of the one required list, which the start-up check reads without zod', () => {
    expect(refusal({}).settings).toEqual(Object.keys(REQUIRED_SETTINGS));
    expect(missingRequiredSettings({})).toEqual(Object.keys(REQUIRED_SETTINGS));
    expect(missingRequiredSettings({ ...valid, BROKER_AUDIT_HMAC_KEY: '' })).toEqual(['BROKER_AUDIT_HMAC_KEY']);
    expect(missingRequiredSettings(valid)).toEqual([]);
    const inAzure = { ...valid, WEBSITE_INSTANCE_ID: 'abc' };
    expect(refusal(inAzure).settings).toEqual(Object.keys(REQUIRED_IN_AZURE));
    expect(missingRequiredSettings(inAzure)).toEqual(Object.keys(REQUIRED_IN_AZURE));
  });

  it('is a 503 ConfigurationInvalid naming every bad setting, never a value, plus the request id', () => {
    const error = refusal({
      ...valid,
      BROKER_CLOCK_SKEW: 'banana',
      BROKER_LICENSESPRING_SHARED_KEY: '',
      WEBSITE_INSTANCE_ID: 'abc',
      BROKER_LOCAL_BEARER_TOKEN: 'super-secret-token',
      BROKER_LICENSESPRING_PUBLIC_KEY: 'pem',
      BROKER_KEY_VAULT_URL: 'https://vault.example',
    });
    expect(error).toBeInstanceOf(BrokerError);
    expect({ status: error.status, code: error.code }).toEqual({ status: 503, code: 'ConfigurationInvalid' });
    expect(errorBody(error, 'req-1')).toEqual({
      error: {
        code: 'ConfigurationInvalid',
        message:
          "The broker's configuration is invalid; check the settings BROKER_LICENSESPRING_SHARED_KEY, BROKER_CLOCK_SKEW, BROKER_LOCAL_BEARER_TOKEN. Request id: req-1.",
      },
    });
    expect(error.internal).toMatch(/BROKER_CLOCK_SKEW 'banana' is not an ISO 8601 duration/);
    expect(error.internal).not.toContain('super-secret-token');
  });
});
