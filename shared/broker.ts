import type { TokenCredential } from '@azure/identity';
import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { ApimTokenService } from './apim/apimTokenService';
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
function armCredential(config: BrokerConfig): TokenCredential {
  const localToken = config.arm.localToken;
  if (localToken !== undefined) {
    return { getToken: async () => ({ token: localToken, expiresOnTimestamp: Date.now() + 3600_000 }) };
  }
  const { DefaultAzureCredential } = require('@azure/identity') as typeof import('@azure/identity');
  return new DefaultAzureCredential();
}

const httpClient = lazy(() => createDefaultHttpClient());

function pipeline(config: BrokerConfig, credential?: { tokenCredential: TokenCredential; scope: string }): UpstreamPipeline {
  return new UpstreamPipeline({
    retry: config.upstream,
    clock: systemClock,
    sleep,
    httpClient: httpClient(),
    credential,
    caCert: config.localCaCert,
  });
}

export const getApimTokenService = lazy(() => {
  const config = getConfig();
  const arm = pipeline(config, { tokenCredential: armCredential(config), scope: config.arm.scope });
  return new ApimTokenService({
    client: new ApimClient(arm, config.arm.endpoint, config.arm.apiVersions),
    services: config.services,
    policy: config.policy,
    clock: systemClock,
  });
});

export const getLicenseSpringClient = lazy(() => {
  const config = getConfig();
  return new LicenseSpringClient(pipeline(config), config.licenseSpring, systemClock);
});
