import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { ApimTokenService } from './apim/apimTokenService';
import { AuditLog } from './audit/auditLog';
import type { AccessControl } from './auth/accessControl';
import { EasyAuthAuthenticator, JwtAuthenticator } from './auth/authenticator';
import { Authorizer } from './auth/authorizer';
import { JwksKeyStore } from './auth/jwksKeyStore';
import { KeyVaultTokenStore } from './cache/keyVaultTokenStore';
import { TokenCache } from './cache/tokenCache';
import type { BrokerConfig } from './config/configSchema';
import { getConfig } from './config/loadConfig';
import { lazy } from './lazy';
import { MintRateLimiter } from './policy/mintRateLimiter';
import { type Clock, systemClock } from './time/clock';
import { ApimClient } from './upstreams/arm/apimClient';
import { LicenseSpringClient } from './upstreams/licensespring/licenseSpringClient';
import { parseJsonBody, type RetrySettings, UpstreamPipeline } from './upstreams/upstreamPipeline';

/** What the broker takes from its surroundings besides configuration: time. */
export interface BrokerRuntime {
  clock: Clock;
}

export interface Broker {
  access: AccessControl;
  apimTokens: ApimTokenService;
  tokenCache: TokenCache;
  licenseSpring: LicenseSpringClient;
}

/** In Azure, the app's managed identity (or any DefaultAzureCredential source); locally, a static token. */
function brokerCredential(config: BrokerConfig): TokenCredential {
  const localToken = config.local.bearerToken;
  if (localToken !== undefined) {
    return { getToken: async () => ({ token: localToken, expiresOnTimestamp: Date.now() + 3600_000 }) };
  }
  const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
  return new DefaultAzureCredential();
}

/**
 * Retries are off: a throttled or slow vault must not hold a caller, since the cache only saves
 * upstream calls. A local CA means a local emulator, whose host name is not a vault's.
 */
function secretClient(config: BrokerConfig, vaultUrl: string, credential: TokenCredential): SecretClient {
  const { SecretClient: Client } = require('@azure/keyvault-secrets') as typeof import('@azure/keyvault-secrets');
  const caCert = config.local.caCert;
  return new Client(vaultUrl, credential, {
    retryOptions: { maxRetries: 0 },
    ...(caCert === undefined ? {} : { tlsOptions: { ca: caCert }, disableChallengeResourceVerification: true }),
  });
}

/** A JWKS refresh happens while a caller waits: two short attempts at most. */
export const JWKS_RETRY: RetrySettings = { maxAttempts: 2, retryDelayMs: 200, attemptTimeoutMs: 3_000, budgetMs: 5_000 };

function accessControl(config: BrokerConfig, runtime: BrokerRuntime, pipeline: (retry: RetrySettings) => UpstreamPipeline): AccessControl {
  const auth = config.auth;
  const jwks = pipeline(JWKS_RETRY);
  const keys = new JwksKeyStore({
    clock: runtime.clock,
    minRefreshMs: auth.jwksMinRefreshMs,
    fetchJwks: async () => {
      const response = await jwks.send({ method: 'GET', url: auth.jwksUrl, requestId: 'jwks-refresh' });
      if (response.status !== 200) throw new Error(`JWKS answered ${response.status}`);
      return parseJsonBody(response);
    },
  });
  return {
    authenticator:
      auth.mode === 'easyauth'
        ? new EasyAuthAuthenticator()
        : new JwtAuthenticator(auth, keys, {
            clockSkewMs: config.policy.clockSkewMs,
            clock: runtime.clock,
            maxVerifiedTokens: config.memory.verifiedTokens,
          }),
    authorizer: new Authorizer(auth),
    mintLimiter: new MintRateLimiter(config.mintLimitPerMinute, runtime.clock),
    audit: new AuditLog(config.auditKey),
  };
}

/** Wires the broker's services from configuration. The process builds one (below); tests build their own. */
export function buildBroker(config: BrokerConfig, runtime: BrokerRuntime): Broker {
  const credential = brokerCredential(config);
  const httpClient = createDefaultHttpClient();
  const pipelineWith = (retry: RetrySettings, armCredential?: { tokenCredential: TokenCredential; scope: string }) =>
    new UpstreamPipeline({ retry, clock: runtime.clock, httpClient, credential: armCredential, caCert: config.local.caCert });
  const pipeline = (armCredential?: { tokenCredential: TokenCredential; scope: string }) => pipelineWith(config.upstream, armCredential);

  const vaultUrl = config.cache.keyVaultUrl;
  const store =
    vaultUrl === undefined
      ? undefined
      : new KeyVaultTokenStore(secretClient(config, vaultUrl, credential), {
          timeoutMs: config.cache.keyVaultTimeoutMs,
          format: config.cache.storedTokenFormat,
        });
  const tokenCache = new TokenCache({
    store,
    clock: runtime.clock,
    clockSkewMs: config.policy.clockSkewMs,
    maxMemoryEntries: config.memory.tokens,
  });

  const arm = pipeline({ tokenCredential: credential, scope: config.arm.scope });
  return {
    access: accessControl(config, runtime, pipelineWith),
    tokenCache,
    apimTokens: new ApimTokenService({
      client: new ApimClient(arm, config.arm.endpoint, config.arm.apiVersions),
      cache: tokenCache,
      services: config.services,
      policy: config.policy,
      memory: config.memory,
      clock: runtime.clock,
    }),
    licenseSpring: new LicenseSpringClient(pipeline(), config.licenseSpring, runtime.clock),
  };
}

/** The process's broker: built on first use, so function modules load fast and invocations share it. */
export const getBroker = lazy(() => buildBroker(getConfig(), { clock: systemClock }));
