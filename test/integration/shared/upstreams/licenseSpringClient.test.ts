import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { buildBroker } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { BrokerError } from '../../../../shared/errors';
import type { SsoUrlRequest } from '../../../../shared/upstreams/licensespring/licenseSpringClient';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { TestClock } from '../../../support/testClock';

/**
 * The broker's LicenseSpring client against the LicenseSpring emulator over HTTPS. The clock moves
 * only while the client waits (its retry backoff), so a `Retry-After` is asserted, never waited.
 */
let env: LocalEnvironment;
let clock: TestClock;

beforeAll(async () => {
  clock = new TestClock(new Date(), { advanceOnSleep: true });
  // The emulator's Date window is measured on the same clock the client signs with.
  env = await startBrokerEnvironment({ licenseSpring: { clock } });
});
afterAll(() => env.stop());
beforeEach(() => {
  env.clearFaults();
  env.resetCalls();
});

const ask = (request: Partial<SsoUrlRequest> = {}, settings: Record<string, string> = {}, brokerClock: TestClock = clock) =>
  buildBroker(loadConfig({ ...process.env, ...settings }), { clock: brokerClock }).licenseSpring.getSsoUrl(
    { product: 'demo', customerAccountCode: 'acme', responseType: 'code', ...request },
    'ls-client-1',
  );
const calls = () => env.licenseSpring.calls().SsoUrl;

/** The error a call failed with, as the caller would see its status and code, plus what only the log sees. */
async function failure(
  call: Promise<unknown>,
): Promise<{ status: number; code: string; headers: Record<string, string>; internal?: string }> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof BrokerError)) throw new Error(`expected a BrokerError, got ${String(error)}`);
  return {
    status: error.status,
    code: error.code,
    headers: error.headers,
    ...(error.internal === undefined ? {} : { internal: error.internal }),
  };
}

describe('LicenseSpring answers about the caller input are 4xx', () => {
  it('maps customer_account_not_found to 404 UnknownCustomerAccount', async () => {
    const error = await failure(ask({ customerAccountCode: 'nobody' }));
    expect(error).toEqual({ status: 404, code: 'UnknownCustomerAccount', headers: {} });
    expect(calls()).toBe(1);
  });

  it('maps unknown_product to 400 UnknownProduct', async () => {
    expect(await failure(ask({ product: 'nope' }))).toEqual({ status: 400, code: 'UnknownProduct', headers: {} });
  });
});

describe("LicenseSpring answers about the broker's own request stay 502 UpstreamError", () => {
  it.each([
    ['signature_mismatch', { BROKER_LICENSESPRING_SHARED_KEY: 'not-the-shared-key' }],
    ['invalid_api_key', { BROKER_LICENSESPRING_API_KEY: 'not-an-api-key' }],
  ])('%s', async (code, settings) => {
    const error = await failure(ask({}, settings));
    expect(error).toMatchObject({ status: 502, code: 'UpstreamError', internal: `LicenseSpring sso_url answered 400 ${code}` });
    expect(calls()).toBe(1);
  });

  it('date_header_diff (a broker clock 20 minutes ahead of LicenseSpring)', async () => {
    const ahead = new TestClock(new Date(clock.now().getTime() + 20 * 60_000), { advanceOnSleep: true });
    expect(await failure(ask({}, {}, ahead))).toMatchObject({
      status: 502,
      code: 'UpstreamError',
      internal: 'LicenseSpring sso_url answered 400 date_header_diff',
    });
  });

  it.each(['missing_headers', 'authorization_missing_params', 'authorization_invalid_headers', 'hmac_required', 'validation_error'])(
    '%s',
    async (code) => {
      env.licenseSpring.inject('SsoUrl', { status: 400, body: { status: 400, code, message: 'as the vendor answers' } });
      expect(await failure(ask())).toMatchObject({
        status: 502,
        code: 'UpstreamError',
        internal: `LicenseSpring sso_url answered 400 ${code}`,
      });
      expect(calls()).toBe(1);
    },
  );
});

describe('LicenseSpring throttling', () => {
  it('waits out a Retry-After within the budget and retries', async () => {
    env.licenseSpring.inject('SsoUrl', { status: 429, retryAfterSeconds: 1 });
    const started = clock.now().getTime();
    await expect(ask()).resolves.toHaveProperty('url');
    expect(calls()).toBe(2);
    expect(clock.now().getTime() - started).toBe(1_000);
  });

  it('answers 503 UpstreamThrottled with the upstream Retry-After beyond the budget, without waiting', async () => {
    env.licenseSpring.inject('SsoUrl', { status: 429, retryAfterSeconds: 30 });
    const started = clock.now().getTime();
    expect(await failure(ask())).toMatchObject({ status: 503, code: 'UpstreamThrottled', headers: { 'Retry-After': '30' } });
    expect(calls()).toBe(1);
    expect(clock.now().getTime()).toBe(started);
  });
});
