import type * as SsoTokenFunction from '../../../functions/ssoToken';
import officialExample from '../../fixtures/vectors/apim/2024-05-01_ApiManagementServiceGetSsoToken.json';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

// Memory-only cache: a fresh instance then always reaches the upstream (the cache has its own tests).
const suite = useBrokerEnvironment({ arm: { officialExamples: true } }, { BROKER_KEY_VAULT_URL: '' });

/** Each call on a fresh broker instance, so each one reaches the upstream (no cached token). */
const ssoToken = (call: { body?: string; headers?: Record<string, string> } = {}) =>
  invokeHandler(freshInstance(() => require('../../../functions/ssoToken') as typeof SsoTokenFunction).ssoTokenHandler, {
    method: 'POST',
    params: { service: 'apimService1' },
    body: call.body,
    headers: { authorization: suite.authorization, ...call.headers },
  });

describe('POST /api/apim/{service}/sso-token', () => {
  it('returns the official example redirect URI as served, valid at most 5 minutes from issue', async () => {
    const before = Date.now();
    const result = await ssoToken();
    const after = Date.now();
    expect(result.status).toBe(200);
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.headers['x-cache']).toBe('miss');
    expect(result.json.redirectUri).toBe(officialExample.responses['200'].body.redirectUri);
    const expiresOn = Date.parse(result.json.expiresOn);
    expect(expiresOn).toBeLessThanOrEqual(after + 5 * 60_000);
    expect(expiresOn).toBeGreaterThan(before + 5 * 60_000 - 1000);
    expect(suite.env.arm.calls().ApiManagementService_GetSsoToken).toBe(1);
  });

  it('accepts an empty JSON object and refuses any field', async () => {
    const ok = await ssoToken({ body: '{}', headers: { 'content-type': 'application/json' } });
    expect(ok.status).toBe(200);
    const refused = await ssoToken({ body: '{"minValidity":"PT1M"}', headers: { 'content-type': 'application/json' } });
    expect(refused.status).toBe(400);
    expect(refused.json.error).toMatchObject({ code: 'InvalidParameter', target: 'minValidity' });
    expect(suite.env.arm.calls().ApiManagementService_GetSsoToken).toBe(1);
  });

  it('echoes a safe x-ms-client-request-id and replaces an unsafe one', async () => {
    const echoed = await ssoToken({ headers: { 'x-ms-client-request-id': 'abc.DEF_123-x' } });
    expect(echoed.headers['x-request-id']).toBe('abc.DEF_123-x');
    const replaced = await ssoToken({ headers: { 'x-request-id': 'bad id with spaces' } });
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('passes an upstream throttle on as 503 with Retry-After', async () => {
    suite.env.arm.inject('ApiManagementService_GetSsoToken', { status: 429, retryAfterSeconds: 120 });
    const result = await ssoToken();
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('120');
    expect(result.headers['cache-control']).toBe('no-store');
  });
});
