import type { TokenCredential } from '@azure/identity';
import type { SecretClient } from '@azure/keyvault-secrets';
import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { ApimTokenService } from './apim/apimTokenService';
import { KeyVaultTokenStore } from './cache/keyVaultTokenStore';
import { TokenCache } from './cache/tokenCache';
import type { BrokerConfig } from './config/configSchema';
import { getConfig } from './config/loadConfig';
import { lazy } from './lazy';
import { systemClock } from './time/clock';
import { sleep } from './time/sleep';
import { ApimClient } from './upstreams/arm/apimClient';
import { LicenseSpringClient } from './upstreams/licensespring/licenseSpringClient';
import { UpstreamPipeline } from './upstreams/upstreamPipeline';

/**
 * The broker's composition root: one instance of each service per process, built on first use
 * from the configuration, so function modules load fast and invocations share connections.
 */

/** In Azure, the app's managed identity (or any DefaultAzureCredential source); locally, a static token. */
const brokerCredential = lazy((): TokenCredential => {
  const localToken = getConfig().local.bearerToken;
  if (localToken !== undefined) {
    return { getToken: async () => ({ token: localToken, expiresOnTimestamp: Date.now() + 3600_000 }) };
  }
  const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
  return new DefaultAzureCredential();
});

const httpClient = lazy(() => createDefaultHttpClient());

function pipeline(config: BrokerConfig, credential?: { tokenCredential: TokenCredential; scope: string }): UpstreamPipeline {
  return new UpstreamPipeline({
    retry: config.upstream,
    clock: systemClock,
    sleep,
    httpClient: httpClient(),
    credential,
    caCert: config.local.caCert,
  });
}

/**
 * Retries are off: a throttled or slow vault must not hold a caller, since the cache only saves
 * upstream calls. A local CA means a local emulator, whose host name is not a vault's.
 */
function secretClient(config: BrokerConfig, vaultUrl: string): SecretClient {
  const { SecretClient: Client } = require('@azure/keyvault-secrets') as typeof import('@azure/keyvault-secrets');
  const caCert = config.local.caCert;
  return new Client(vaultUrl, brokerCredential(), {
    retryOptions: { maxRetries: 0 },
    ...(caCert === undefined ? {} : { tlsOptions: { ca: caCert }, disableChallengeResourceVerification: true }),
  });
}

export const getTokenCache = lazy(() => {
  const config = getConfig();
  const vaultUrl = config.cache.keyVaultUrl;
  const store =
    vaultUrl === undefined
      ? undefined
      : new KeyVaultTokenStore(secretClient(config, vaultUrl), {
          timeoutMs: config.cache.keyVaultTimeoutMs,
          format: config.cache.storedTokenFormat,
        });
  return new TokenCache({ store, clock: systemClock, clockSkewMs: config.policy.clockSkewMs });
});

export const getApimTokenService = lazy(() => {
  const config = getConfig();
  const arm = pipeline(config, { tokenCredential: brokerCredential(), scope: config.arm.scope });
  return new ApimTokenService({
    client: new ApimClient(arm, config.arm.endpoint, config.arm.apiVersions),
    cache: getTokenCache(),
    services: config.services,
    policy: config.policy,
    clock: systemClock,
  });
});

export const getLicenseSpringClient = lazy(() => {
  const config = getConfig();
  return new LicenseSpringClient(pipeline(config), config.licenseSpring, systemClock);
});
