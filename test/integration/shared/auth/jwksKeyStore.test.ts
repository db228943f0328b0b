import { HttpRequest } from '@azure/functions';
import { foreignKeyToken } from '../../../../local/emulators/issuer/localIssuer';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { type Broker, buildBroker } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

let env: LocalEnvironment;
let clock: TestClock;

beforeAll(async () => {
  clock = new TestClock(new Date(), { advanceOnSleep: true });
  env = await startBrokerEnvironment({ issuer: { clock } }, { BROKER_AUTH_JWKS_MIN_REFRESH: 'PT5M' });
});
afterAll(() => env.stop());

function newBroker(): Broker {
  return buildBroker(loadConfig(process.env), { clock });
}

const authenticate = (broker: Broker, token: string, log = recordingLogger()) =>
  broker.access.authenticator.authenticate(
    new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/x', headers: { authorization: `Bearer ${token}` } }),
    log,
  );
const jwksFetches = () => env.issuer.calls().Jwks;

describe('JWKS cache (real HTTPS to the local issuer, injected clock)', () => {
  it('keeps accepting valid tokens with cached keys while the JWKS endpoint is down', async () => {
    const broker = newBroker();
    await expect(authenticate(broker, await env.callerToken())).resolves.toMatchObject({
      roles: expect.arrayContaining(['Broker.GatewayToken']),
    });
    env.issuer.inject('Jwks', { status: 503, times: 1000 });
    const fetchesBefore = jwksFetches();
    try {
      clock.advance(2 * 86_400_000);
      const log = recordingLogger();
      await expect(authenticate(broker, await env.callerToken(), log)).resolves.toBeDefined();
      await expect(authenticate(broker, await env.callerToken(), log)).resolves.toBeDefined();
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(jwksFetches()).toBeGreaterThan(fetchesBefore);
      expect(log.events).toContainEqual(expect.objectContaining({ event: 'jwksRefreshFailed' }));
    } finally {
      env.issuer.clearFaults();
    }
  });

  it('refreshes on an unknown kid, at most once per interval', async () => {
    const broker = newBroker();
    await authenticate(broker, await env.callerToken());
    const before = jwksFetches();
    await env.issuer.rotateKey();
    const rotated = await env.callerToken();
    await expect(authenticate(broker, rotated)).rejects.toMatchObject({ status: 401, internal: 'unknown signing key' });
    await expect(authenticate(broker, rotated)).rejects.toMatchObject({ status: 401 });
    expect(jwksFetches()).toBe(before);
    clock.advance(5 * 60_000);
    await expect(authenticate(broker, rotated)).resolves.toBeDefined();
    expect(jwksFetches()).toBe(before + 1);
  });

  it('refuses a token once it expires (plus the skew), even one accepted before', async () => {
    const broker = newBroker();
    const token = await env.callerToken({ lifetimeSeconds: 600 });
    await expect(authenticate(broker, token)).resolves.toBeDefined();
    clock.advance(600_000 + 60_000 - 1000);
    await expect(authenticate(broker, token)).resolves.toBeDefined();
    clock.advance(1000);
    await expect(authenticate(broker, token)).rejects.toMatchObject({ status: 401, internal: 'expired' });
  });

  it('refuses a token before its nbf (less the skew), even after accepting it once in time', async () => {
    const broker = newBroker();
    const token = await env.callerToken({ notBefore: new Date(clock.now().getTime() + 30_000) });
    await expect(authenticate(broker, token)).resolves.toBeDefined();
    clock.advance(-31_000);
    await expect(authenticate(broker, token)).rejects.toMatchObject({ status: 401 });
  });

  it('does not let a flood of tokens with unknown kids refetch the JWKS', async () => {
    const broker = newBroker();
    const valid = await env.callerToken();
    await authenticate(broker, valid);
    const before = jwksFetches();
    const forged = await Promise.all(Array.from({ length: 10 }, () => foreignKeyToken(valid)));
    const attempts = await Promise.allSettled(forged.map((token) => authenticate(broker, token)));
    expect(attempts.every((attempt) => attempt.status === 'rejected')).toBe(true);
    expect(jwksFetches()).toBe(before);
  });
});
