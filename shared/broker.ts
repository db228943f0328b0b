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
import { PublishVault } from './rotation/publishVault';
import { RotationService } from './rotation/rotationService';
import { RotationStore } from './rotation/rotationStore';
import type { Clock } from './time/clock';
import { processClock } from './time/processClock';
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
  /** The gateway-token rotation; absent when no rotation target is configured. */
  rotation?: RotationService;
  clock: Clock;
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

/**
 * The rotation's blob storage: identity-based, as `AzureWebJobsStorage__blobServiceUri` in Azure;
 * locally Azurite over HTTPS, trusting the local CA. `tlsOptions` is not in the storage package's
 * option type, but it hands its options to `@azure/core-rest-pipeline`, which applies it (the
 * integration tests reach Azurite's self-signed HTTPS only through it).
 */
function rotationContainer(config: BrokerConfig, storage: { blobServiceUrl: string; container: string }, credential: TokenCredential) {
  const { BlobServiceClient } = require('@azure/storage-blob') as typeof import('@azure/storage-blob');
  const caCert = config.local.caCert;
  return new BlobServiceClient(storage.blobServiceUrl, credential, {
    retryOptions: { maxTries: 2 },
    ...(caCert === undefined ? {} : { tlsOptions: { ca: caCert } }),
  }).getContainerClient(storage.container);
}

/** The time from one occurrence of a schedule to the next, as of now. */
function scheduleIntervalMs(config: BrokerConfig, clock: Clock): number {
  const { schedule } = config.rotation;
  const first = schedule.nextAfter(clock.now().getTime());
  const second = first === undefined ? undefined : schedule.nextAfter(first.getTime());
  return first === undefined || second === undefined ? 3_600_000 : second.getTime() - first.getTime();
}

/**
 * A rotation run may wait out ARM's `Retry-After` (a run over many targets meets the subscription's
 * write budget), so its budget is six of a caller's: one minute with the defaults.
 */
const ROTATION_BUDGET_FACTOR = 6;

function rotationService(
  config: BrokerConfig,
  runtime: BrokerRuntime,
  credential: TokenCredential,
  arm: UpstreamPipeline,
  requestCache: TokenCache,
): RotationService | undefined {
  const { rotation } = config;
  if (rotation.targets.length === 0 || rotation.keyVaultUrl === undefined || rotation.storage === undefined) return undefined;
  const container = rotationContainer(config, rotation.storage, credential);
  return new RotationService({
    settings: rotation,
    client: new ApimClient(arm, config.arm.endpoint, config.arm.apiVersions),
    vault: new PublishVault(secretClient(config, rotation.keyVaultUrl, credential), config.cache.keyVaultTimeoutMs),
    store: new RotationStore(container, runtime.clock, { leaseSeconds: 60, staleHolderMs: scheduleIntervalMs(config, runtime.clock) }),
    clock: runtime.clock,
    maxLifetimeMs: config.policy.gatewayTokenMaxLifetimeMs,
    clockSkewMs: config.policy.clockSkewMs,
    requestCache,
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

  const armCredential = { tokenCredential: credential, scope: config.arm.scope };
  const arm = pipeline(armCredential);
  const rotationArm = pipelineWith({ ...config.upstream, budgetMs: config.upstream.budgetMs * ROTATION_BUDGET_FACTOR }, armCredential);
  const rotation = rotationService(config, runtime, credential, rotationArm, tokenCache);
  return {
    clock: runtime.clock,
    ...(rotation === undefined ? {} : { rotation }),
    access: accessControl(config, runtime, pipelineWith),
    tokenCache,
    apimTokens: new ApimTokenService({
      client: new ApimClient(arm, config.arm.endpoint, config.arm.apiVersions),
      cache: tokenCache,
      services: config.services,
      policy: config.policy,
      memory: config.memory,
      clock: runtime.clock,
      ...(rotation === undefined ? {} : { published: rotation }),
    }),
    licenseSpring: new LicenseSpringClient(pipeline(), config.licenseSpring, runtime.clock),
  };
}

/** The process's broker: built on first use, so function modules load fast and invocations share it. */
export const getBroker = lazy(() => buildBroker(getConfig(), { clock: processClock }));
