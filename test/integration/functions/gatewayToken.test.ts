import type * as GatewayTokenFunction from '../../../functions/gatewayToken';
import { gatewayTokenHandler } from '../../../functions/gatewayToken';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

const suite = useBrokerEnvironment();

const SCOPE = '/subscriptions/00000000-0000-0000-0000-000000000000';

/** An explicit expiry always mints, so each case reaches the upstream whatever the cache holds. */
const freshExpiry = () => ({ expiry: new Date(Date.now() + 86_400_000).toISOString() });

function mint(body: unknown = freshExpiry(), params: Record<string, string> = { service: 'apimService1', gatewayId: 'gw1' }) {
  return invokeHandler(gatewayTokenHandler, {
    method: 'POST',
    params,
    headers: { authorization: suite.authorization, 'content-type': 'application/json', 'x-request-id': 'req-gw-1' },
    body: JSON.stringify(body),
  });
}

describe('POST /api/apim/{service}/gateways/{gatewayId}/token', () => {
  it('mints a token the gateway accepts, for the maximum lifetime by default', async () => {
    const before = Date.now();
    const result = await mint({}, { service: 'apimService1', gatewayId: 'gw2' });
    expect(result.status).toBe(200);
    expect(result.headers['cache-control']).toBe('no-store');
    expect(result.headers['x-request-id']).toBe('req-gw-1');
    const { gatewayId, keyType, value, expiresOn, authorization } = result.json;
    expect({ gatewayId, keyType }).toEqual({ gatewayId: 'gw2', keyType: 'primary' });
    expect(result.headers['x-cache']).toBe('miss');
    expect(authorization).toBe(`GatewayKey ${value}`);
    expect(expiresOn).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    const maximum = 30 * 86_400_000 - 60_000;
    expect(Date.parse(expiresOn)).toBeLessThanOrEqual(Date.now() + maximum);
    expect(Date.parse(expiresOn)).toBeGreaterThan(before + maximum - 1000);
    expect(suite.env.arm.isTokenValid('apimService1', 'gw2', value)).toBe(true);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(1);

    const again = await mint({}, { service: 'apimService1', gatewayId: 'gw2' });
    expect(again.headers['x-cache']).toBe('hit');
    expect(again.json).toEqual(result.json);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('audits concurrent identical requests honestly: the one that minted says miss, those that joined it say hit', async () => {
    const fresh = freshInstance(() => require('../../../functions/gatewayToken') as typeof GatewayTokenFunction);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        invokeHandler(fresh.gatewayTokenHandler, {
          method: 'POST',
          params: { service: 'apimService1', gatewayId: 'gw1' },
          headers: { authorization: suite.authorization },
        }),
      ),
    );
    const audits = answers.flatMap((answer) => answer.logs.filter((line) => line.includes('"event":"audit"')));
    expect(audits).toHaveLength(10);
    const outcomes = audits.map((line) => JSON.parse(line.replace(/^\[\w+\] /, '')).cache).sort();
    expect(outcomes).toEqual([...Array(9).fill('hit'), 'miss']);
    expect(answers.map((answer) => answer.headers['x-cache']).sort()).toEqual(outcomes);
    expect(new Set(answers.map((answer) => answer.json.value)).size).toBe(1);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('sends the asked expiry cut to whole seconds and the chosen key', async () => {
    const expiry = new Date(Date.now() + 86_400_000);
    const asked = `${expiry.toISOString().slice(0, 19)}.2845269Z`;
    const result = await mint({ keyType: 'secondary', expiry: asked });
    expect(result.status).toBe(200);
    expect(result.json.keyType).toBe('secondary');
    expect(result.json.expiresOn).toBe(`${asked.slice(0, 19)}Z`);
    expect(suite.env.arm.isTokenValid('apimService1', 'gw1', result.json.value)).toBe(true);
  });

  it('retries a 429 with a short Retry-After and succeeds', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 0 });
    const result = await mint();
    expect(result.status).toBe(200);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(2);
  });

  it('answers 503 UpstreamThrottled with the upstream Retry-After when it exceeds the budget', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 30 });
    const result = await mint();
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('30');
    expect(result.json.error.code).toBe('UpstreamThrottled');
    expect(result.json.error.message).toContain('req-gw-1');
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('retries a 503 and succeeds', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { status: 503, times: 2 });
    const result = await mint();
    expect(result.status).toBe(200);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(3);
  });

  it('gives up after three attempts of 5xx with 502 UpstreamError', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { status: 500, times: 5 });
    const result = await mint();
    expect(result.status).toBe(502);
    expect(result.json.error.code).toBe('UpstreamError');
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(3);
  });

  it('answers 504 UpstreamTimeout when the upstream does not answer in time', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { delayMs: 1500, times: 3 });
    const result = await mint();
    expect(result.status).toBe(504);
    expect(result.json.error).toEqual({ code: 'UpstreamTimeout', message: expect.stringContaining('req-gw-1') });
  });

  it('answers 502 UpstreamError for a malformed upstream body, with nothing of it in the response', async () => {
    suite.env.arm.inject('Gateway_GenerateToken', { malformedBody: true });
    const result = await mint();
    expect(result.status).toBe(502);
    expect(result.json.error).toEqual({
      code: 'UpstreamError',
      message: 'The upstream service failed to answer correctly. Request id: req-gw-1.',
    });
    expect(result.logs.join('\n')).toContain('malformed 200 body');
  });

  it('maps ARM AuthorizationFailed to 502 UpstreamForbidden naming only the missing action', async () => {
    suite.env.arm.inject(
      'Gateway_GenerateToken',
      suite.env.arm.authorizationFailedFault('Gateway_GenerateToken', '11111111-2222-3333-4444-555555555555', {
        service: 'apimService1',
        resourceName: 'gw1',
      }),
    );
    const result = await mint();
    expect(result.status).toBe(502);
    expect(result.json.error.code).toBe('UpstreamForbidden');
    expect(result.json.error.message).toContain("'Microsoft.ApiManagement/service/gateways/generateToken/action'");
    const text = JSON.stringify(result.json);
    for (const leak of [SCOPE, '11111111-2222', 'scope', 'rg1']) expect(text).not.toContain(leak);
  });

  it('maps an upstream 404 to 404 NotFound naming the gateway', async () => {
    const result = await mint(freshExpiry(), { service: 'apimService1', gatewayId: 'no-such-gateway' });
    expect(result.status).toBe(404);
    expect(result.json.error).toEqual({ code: 'NotFound', message: "Gateway 'no-such-gateway' was not found." });
  });

  it('answers 404 UnknownService for an alias that is not configured, without calling upstream', async () => {
    const result = await mint(freshExpiry(), { service: 'otherService', gatewayId: 'gw1' });
    expect(result.status).toBe(404);
    expect(result.json.error.code).toBe('UnknownService');
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(0);
  });

  it('logs no token value', async () => {
    const result = await mint();
    expect(result.logs.join('\n')).not.toContain(result.json.value);
  });
});
