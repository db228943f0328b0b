import { HttpRequest } from '@azure/functions';
import { foreignKeyToken } from '../../../../local/emulators/issuer/localIssuer';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { type Broker, buildBroker, JWKS_RETRY } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { AuthenticationUnavailableError } from '../../../../shared/errors';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

const MIN_REFRESH_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** A refresh against a failing endpoint makes every attempt of the broker's JWKS pipeline; the clock advances through its backoff. */
const FETCHES_PER_FAILED_REFRESH = JWKS_RETRY.maxAttempts;

let env: LocalEnvironment;
let clock: TestClock;

beforeAll(async () => {
  clock = new TestClock(new Date(), { advanceOnSleep: true });
  env = await startBrokerEnvironment({ issuer: { clock } }, { BROKER_AUTH_JWKS_MIN_REFRESH: 'PT5M' });
});
afterAll(() => env.stop());
afterEach(() => env.issuer.clearFaults());

function newBroker(): Broker {
  return buildBroker(loadConfig(process.env), { clock });
}

const authenticate = (broker: Broker, token: string, log = recordingLogger()) =>
  broker.access.authenticator.authenticate(
    new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/x', headers: { authorization: `Bearer ${token}` } }),
    log,
  );
const jwksFetches = () => env.issuer.calls().Jwks;
const endpointDown = () => env.issuer.inject('Jwks', { status: 503, times: 1000 });
/**
 * A token signed by a key no JWKS publishes. Its check joins any refresh in flight, so once it is
 * answered every fetch so far has reached the issuer and the counts are exact without waiting.
 */
const unknownKidToken = async () => foreignKeyToken(await env.callerToken());

describe('JWKS cache (real HTTPS to the local issuer, injected clock)', () => {
  it('keeps accepting tokens with cached keys while the endpoint is down, and refreshes stale keys once per interval', async () => {
    const broker = newBroker();
    await authenticate(broker, await env.callerToken());
    endpointDown();
    clock.advance(2 * DAY_MS);
    const before = jwksFetches();
    const log = recordingLogger();

    // Fresh tokens each time, so none is served from the verified-token memory.
    for (let i = 0; i < 3; i += 1) await expect(authenticate(broker, await env.callerToken(), log)).resolves.toBeDefined();
    await expect(authenticate(broker, await unknownKidToken())).rejects.toBeInstanceOf(AuthenticationUnavailableError);
    expect(jwksFetches()).toBe(before + FETCHES_PER_FAILED_REFRESH);
    expect(log.events.filter((event) => event.event === 'jwksRefreshFailed')).toHaveLength(1);

    clock.advance(MIN_REFRESH_MS - 1_000);
    await expect(authenticate(broker, await env.callerToken())).resolves.toBeDefined();
    await expect(authenticate(broker, await unknownKidToken())).rejects.toMatchObject({ status: 503 });
    expect(jwksFetches()).toBe(before + FETCHES_PER_FAILED_REFRESH);

    clock.advance(1_000);
    await expect(authenticate(broker, await env.callerToken())).resolves.toBeDefined();
    await expect(authenticate(broker, await unknownKidToken())).rejects.toMatchObject({ status: 503 });
    expect(jwksFetches()).toBe(before + 2 * FETCHES_PER_FAILED_REFRESH);

    // Back up: the next interval's refresh succeeds, and an unknown kid is a plain refusal again.
    env.issuer.clearFaults();
    clock.advance(MIN_REFRESH_MS);
    await expect(authenticate(broker, await env.callerToken())).resolves.toBeDefined();
    await expect(authenticate(broker, await unknownKidToken())).rejects.toMatchObject({ status: 401, internal: 'unknown signing key' });
    expect(jwksFetches()).toBe(before + 2 * FETCHES_PER_FAILED_REFRESH + 1);
  });

  it('answers 503 AuthenticationUnavailable with no key cached and the endpoint down, refreshing once per interval', async () => {
    const broker = newBroker();
    endpointDown();
    const before = jwksFetches();
    const token = await env.callerToken();

    for (let i = 0; i < 3; i += 1) {
      await expect(authenticate(broker, token)).rejects.toMatchObject({ status: 503, code: 'AuthenticationUnavailable' });
    }
    expect(jwksFetches()).toBe(before + FETCHES_PER_FAILED_REFRESH);

    clock.advance(MIN_REFRESH_MS - 1_000);
    await expect(authenticate(broker, token)).rejects.toMatchObject({ status: 503 });
    expect(jwksFetches()).toBe(before + FETCHES_PER_FAILED_REFRESH);

    env.issuer.clearFaults();
    clock.advance(1_000);
    await expect(authenticate(broker, token)).resolves.toBeDefined();
    expect(jwksFetches()).toBe(before + FETCHES_PER_FAILED_REFRESH + 1);
  });

  it('refreshes an empty key set at most once per interval', async () => {
    const broker = newBroker();
    env.issuer.inject('Jwks', { status: 200, body: { keys: [] }, times: 1000 });
    const before = jwksFetches();
    const token = await env.callerToken();

    for (let i = 0; i < 3; i += 1) {
      await expect(authenticate(broker, token)).rejects.toMatchObject({ status: 401, internal: 'unknown signing key' });
    }
    expect(jwksFetches()).toBe(before + 1);

    env.issuer.clearFaults();
    clock.advance(MIN_REFRESH_MS);
    await expect(authenticate(broker, token)).resolves.toBeDefined();
    expect(jwksFetches()).toBe(before + 2);
  });

  it('lets concurrent first requests share one fetch', async () => {
    const broker = newBroker();
    const before = jwksFetches();
    const tokens = await Promise.all(Array.from({ length: 5 }, () => env.callerToken()));
    const results = await Promise.allSettled(tokens.map((token) => authenticate(broker, token)));
    expect(results.map((result) => result.status)).toEqual(Array(5).fill('fulfilled'));
    expect(jwksFetches()).toBe(before + 1);
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
    clock.advance(MIN_REFRESH_MS);
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

  it('refuses a token issued later than now plus the skew, and accepts one within it', async () => {
    const broker = newBroker();
    const now = clock.now().getTime();
    const issuedIn = (ms: number) => env.callerToken({ issuedAt: new Date(now + ms), notBefore: new Date(now) });
    await expect(authenticate(broker, await issuedIn(61_000))).rejects.toMatchObject({ status: 401, internal: 'issued in the future' });
    await expect(authenticate(broker, await issuedIn(60_000))).resolves.toBeDefined();
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
