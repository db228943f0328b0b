import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { ArmEmulator } from '../../../../local/emulators/arm/armEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../local/emulators/tls';
import { UpstreamTimeoutError } from '../../../../shared/errors';
import { type RetrySettings, UpstreamPipeline } from '../../../../shared/upstreams/upstreamPipeline';

/** A clock that only moves when the pipeline "sleeps", so waits are asserted, never waited. */
function virtualTime() {
  let now = Date.parse('2026-11-22T10:00:00Z');
  const sleeps: number[] = [];
  return {
    sleeps,
    clock: {
      now: () => new Date(now),
      sleep: async (ms: number) => {
        sleeps.push(ms);
        now += ms;
      },
    },
  };
}

const SETTINGS: RetrySettings = { maxAttempts: 3, retryDelayMs: 200, attemptTimeoutMs: 10_000, budgetMs: 10_000 };
const GENERATE =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1/gateways/gw1/generateToken?api-version=2022-08-01';

let tls: LocalTlsMaterial;
let arm: ArmEmulator;

beforeAll(async () => {
  tls = await createLocalTls();
  arm = new ArmEmulator();
  await arm.start(tls);
});
afterAll(() => arm.stop());
beforeEach(() => {
  arm.clearFaults();
  arm.resetCalls();
});

function pipeline(time: ReturnType<typeof virtualTime>, settings: Partial<RetrySettings> = {}) {
  return new UpstreamPipeline({
    retry: { ...SETTINGS, ...settings },
    clock: time.clock,
    httpClient: createDefaultHttpClient(),
    credential: {
      tokenCredential: { getToken: async () => ({ token: 'local', expiresOnTimestamp: Date.now() + 3_600_000 }) },
      scope: `${arm.url}/.default`,
    },
    caCert: tls.cert,
  });
}

const generate = (upstream: UpstreamPipeline, requestId = 'broker-req-1') =>
  upstream.send({
    method: 'POST',
    url: `${arm.url}${GENERATE}`,
    body: JSON.stringify({ keyType: 'primary', expiry: new Date(Date.now() + 3_600_000).toISOString() }),
    requestId,
  });

describe('the broker retry policy on the SDK pipeline', () => {
  it('backs off exponentially from the configured delay, three attempts at most', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 500, times: 5 });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(500);
    expect(time.sleeps).toEqual([200, 400]);
    expect(arm.calls().Gateway_GenerateToken).toBe(3);
  });

  it('honours a Retry-After that keeps the call within the budget', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 7 });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(200);
    expect(time.sleeps).toEqual([7000]);
  });

  // A date years away from the broker's clock (2026): only the response's own Date can make it 7 s.
  const UPSTREAM_DATE = 'Tue, 07 Jun 2011 20:51:35 GMT';
  const httpDateLater = (seconds: number) => new Date(Date.parse(UPSTREAM_DATE) + seconds * 1000).toUTCString();

  it("honours a Retry-After HTTP date, read against the response's own Date header", async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, headers: { date: UPSTREAM_DATE, 'retry-after': httpDateLater(7) } });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(200);
    expect(time.sleeps).toEqual([7000]);
    expect(arm.calls().Gateway_GenerateToken).toBe(2);
  });

  it('does not wait out a Retry-After HTTP date beyond the budget', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, headers: { date: UPSTREAM_DATE, 'retry-after': httpDateLater(11) } });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(429);
    expect(time.sleeps).toEqual([]);
    expect(arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('retries at once on a Retry-After HTTP date already past', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, headers: { date: UPSTREAM_DATE, 'retry-after': httpDateLater(-5) } });
    expect((await generate(pipeline(time))).status).toBe(200);
    expect(time.sleeps).toEqual([0]);
  });

  it('falls back to its own backoff on an unreadable Retry-After', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 503, headers: { date: UPSTREAM_DATE, 'retry-after': 'soon' } });
    expect((await generate(pipeline(time))).status).toBe(200);
    expect(time.sleeps).toEqual([200]);
  });

  it('does not wait out a Retry-After beyond the budget: the 429 is handed back at once', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 11 });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('11');
    expect(time.sleeps).toEqual([]);
    expect(arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('counts earlier waits against the budget', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 6, times: 2 });
    const response = await generate(pipeline(time));
    expect(response.status).toBe(429);
    expect(time.sleeps).toEqual([6000]);
  });

  it('does not retry a client error', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { status: 400 });
    expect((await generate(pipeline(time))).status).toBe(400);
    expect(arm.calls().Gateway_GenerateToken).toBe(1);
  });

  it('times out each attempt and reports the last as UpstreamTimeout', async () => {
    const time = virtualTime();
    arm.inject('Gateway_GenerateToken', { delayMs: 1000, times: 2 });
    await expect(generate(pipeline(time, { attemptTimeoutMs: 100, maxAttempts: 2 }))).rejects.toBeInstanceOf(UpstreamTimeoutError);
    expect(arm.calls().Gateway_GenerateToken).toBe(2);
  });

  it('retries a refused connection and then reports UpstreamError', async () => {
    const time = virtualTime();
    const closed = new ArmEmulator();
    const url = await closed.start(tls);
    await closed.stop();
    // A short attempt timeout: the HTTP client's timer for a refused attempt outlives the attempt.
    const upstream = pipeline(time, { attemptTimeoutMs: 300 });
    await expect(upstream.send({ method: 'POST', url: `${url}${GENERATE}`, requestId: 'r' })).rejects.toMatchObject({
      code: 'UpstreamError',
    });
    expect(time.sleeps).toEqual([200, 400]);
  });

  it("sends the broker's request id as x-ms-client-request-id, which ARM echoes", async () => {
    const response = await generate(pipeline(virtualTime()), 'broker-req-42');
    expect(response.headers.get('x-ms-client-request-id')).toBe('broker-req-42');
  });
});
