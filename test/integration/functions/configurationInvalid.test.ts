import type * as GatewayTokenFunction from '../../../functions/gatewayToken';
import type * as HealthFunction from '../../../functions/health';
import type * as LicenseSpringFunction from '../../../functions/licenseSpringSsoUrl';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { invokeHandler } from '../../support/invokeHandler';

// Everything points at the emulators, but two settings are wrong: the broker must not half-start.
const suite = useBrokerEnvironment({}, { BROKER_CLOCK_SKEW: 'banana', BROKER_UPSTREAM_MAX_ATTEMPTS: 'many' });

describe('while the configuration is invalid', () => {
  it.each([
    ['gateway token', () => (require('../../../functions/gatewayToken') as typeof GatewayTokenFunction).gatewayTokenHandler],
    [
      'LicenseSpring SSO URL',
      () => (require('../../../functions/licenseSpringSsoUrl') as typeof LicenseSpringFunction).licenseSpringSsoUrlHandler,
    ],
  ])('the %s route answers 503 ConfigurationInvalid naming the settings, never their values, and calls nothing', async (_name, load) => {
    const result = await invokeHandler(load(), {
      method: 'POST',
      params: { service: 'apimService1', gatewayId: 'gw1' },
      query: { product: 'demo', customer_account_code: 'acme' },
      headers: { authorization: suite.authorization, 'x-request-id': 'config-1' },
    });
    expect(result.status).toBe(503);
    expect(result.headers['x-request-id']).toBe('config-1');
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.json).toEqual({
      error: {
        code: 'ConfigurationInvalid',
        message:
          "The broker's configuration is invalid; check the settings BROKER_CLOCK_SKEW, BROKER_UPSTREAM_MAX_ATTEMPTS. Request id: config-1.",
      },
    });
    expect(JSON.stringify(result.json)).not.toMatch(/banana|many/);
    expect(suite.env.upstreamCalls()).toEqual(
      expect.objectContaining({ arm: expect.objectContaining({ Gateway_GenerateToken: 0 }), licensespring: { SsoUrl: 0 } }),
    );
  });

  it('health still answers 200', async () => {
    const result = await invokeHandler((require('../../../functions/health') as typeof HealthFunction).healthHandler);
    expect(result.status).toBe(200);
  });
});
