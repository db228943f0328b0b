import { gatewayTokenHandler } from '../../../functions/gatewayToken';
import type { LocalEnvironment } from '../../../local/localEnvironment';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { invokeHandler } from '../../support/invokeHandler';

let env: LocalEnvironment;

beforeAll(async () => {
  env = await startBrokerEnvironment({}, { BROKER_MINT_LIMIT_PER_MINUTE: '2' });
});
afterAll(() => env.stop());

async function request(token: string, body: unknown = {}) {
  return invokeHandler(gatewayTokenHandler, {
    method: 'POST',
    params: { service: 'apimService1', gatewayId: 'gw1' },
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const explicitExpiry = () => ({ expiry: new Date(Date.now() + 86_400_000).toISOString() });

describe('per-caller mint limit', () => {
  it('answers 429 with Retry-After once a caller has used its mints, without reaching the upstream', async () => {
    const caller = await env.callerToken({ oid: 'aaaaaaaa-0000-0000-0000-000000000001' });
    expect((await request(caller, explicitExpiry())).status).toBe(200);
    expect((await request(caller, explicitExpiry())).status).toBe(200);
    const mintsSoFar = env.arm.calls().Gateway_GenerateToken;
    const limited = await request(caller, explicitExpiry());
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('TooManyRequests');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(30);
    expect(env.arm.calls().Gateway_GenerateToken).toBe(mintsSoFar);
    expect(limited.logs.join('\n')).toContain('"outcome":"denied"');
  });

  it('does not limit cache hits', async () => {
    const caller = await env.callerToken({ oid: 'aaaaaaaa-0000-0000-0000-000000000002' });
    await request(caller, explicitExpiry());
    await request(caller, explicitExpiry());
    for (let i = 0; i < 5; i += 1) {
      const hit = await request(caller, { minValidity: 'PT1H' });
      expect(hit.status).toBe(200);
      expect(hit.headers['x-cache']).toBe('hit');
    }
  });

  it('counts each caller separately', async () => {
    const other = await env.callerToken({ oid: 'aaaaaaaa-0000-0000-0000-000000000003' });
    expect((await request(other, explicitExpiry())).status).toBe(200);
  });
});
