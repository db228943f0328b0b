import { generateKeyPairSync, verify } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { LicenseAPI } from '@licensespring/node-sdk';
import { LicenseSpringEmulator } from '../../../../../local/emulators/licensespring/licenseSpringEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { authorizationHeader, licenseSpringDate } from '../../../../../shared/upstreams/licensespring/signing';
import { TestClock } from '../../../../support/testClock';

const MINUTE_MS = 60_000;
const SAMPLE_QUERY = 'product=demo&customer_account_code=acme&response_type=code';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

let tls: LocalTlsMaterial;
let emulator: LicenseSpringEmulator;
let caBeforeTest: https.AgentOptions['ca'];

beforeAll(async () => {
  tls = await createLocalTls();
  emulator = new LicenseSpringEmulator();
  await emulator.start(tls);
  // The vendor SDK sends through axios with no CA option; axios falls back to https.globalAgent.
  caBeforeTest = https.globalAgent.options.ca;
  https.globalAgent.options.ca = tls.cert;
});

afterAll(async () => {
  // The global agent's options override each request's own, so an `undefined` left behind would
  // erase the `ca` every later request in this worker passes.
  if (caBeforeTest === undefined) delete https.globalAgent.options.ca;
  else https.globalAgent.options.ca = caBeforeTest;
  await emulator.stop();
});

afterEach(() => emulator.clearFaults());

function sdkClient(publicKey = emulator.publicKeyPem): LicenseAPI {
  return new LicenseAPI({
    apiKey: emulator.apiKey,
    sharedKey: emulator.sharedKey,
    apiPath: `${emulator.url}/api/v4`,
    publicKey,
    appName: 'token-broker-tests',
    appVersion: '0.0.0',
  });
}

function signedHeaders(overrides: { apiKey?: string; sharedKey?: string; date?: Date } = {}): Record<string, string> {
  const date = licenseSpringDate(overrides.date ?? new Date());
  const apiKey = overrides.apiKey ?? emulator.apiKey;
  const sharedKey = overrides.sharedKey ?? emulator.sharedKey;
  return { date, authorization: authorizationHeader({ apiKey, sharedKey, date }) };
}

function httpsGet(url: string, headers: Record<string, string>): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { headers, ca: tls.cert }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, text: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

function getSsoUrl(query: string, headers: Record<string, string>, path = '/api/v4/sso_url'): Promise<RawResponse> {
  return httpsGet(`${emulator.url}${path}?${query}`, headers);
}

describe('LicenseSpring emulator driven by the vendor SDK', () => {
  it('answers getSSOUrl, so the HMAC check and the LicenseSignature both match the vendor implementation', async () => {
    const result = await sdkClient().getSSOUrl({ product: 'demo', customer_account_code: 'acme', response_type: 'code' });

    const url = new URL(result.url);
    expect(`${url.origin}${url.pathname}`).toBe('https://auth.licensespring.com/realms/acme/protocol/openid-connect/auth');
    expect(url.searchParams.get('response_type')).toBe('code');
    expect(url.searchParams.get('state')).toMatch(/^[0-9a-f]{32}$/);
    expect(result.openid_configuration).toMatchObject({ issuer: 'https://auth.licensespring.com/realms/acme' });
    expect(result.alternate_urls).toHaveLength(1);
  });

  it('passes response_type=token into the login URL', async () => {
    const result = await sdkClient().getSSOUrl({ product: 'demo', customer_account_code: 'acme', response_type: 'token' });

    expect(new URL(result.url).searchParams.get('response_type')).toBe('token');
  });

  it('issues a new state on every call', async () => {
    const client = sdkClient();
    const first = await client.getSSOUrl({ product: 'demo', customer_account_code: 'acme' });
    const second = await client.getSSOUrl({ product: 'demo', customer_account_code: 'acme' });

    expect(new URL(first.url).searchParams.get('state')).not.toBe(new URL(second.url).searchParams.get('state'));
  });

  it('passes the vendor error body through for an unknown product', async () => {
    await expect(sdkClient().getSSOUrl({ product: 'nope', customer_account_code: 'acme' })).rejects.toEqual({
      status: 400,
      code: 'unknown_product',
      message: 'Provided product was not found',
    });
  });

  it('fails the SDK verification under another public key', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const otherKey = publicKey.export({ type: 'spki', format: 'pem' }).toString();

    await expect(sdkClient(otherKey).getSSOUrl({ product: 'demo', customer_account_code: 'acme' })).rejects.toMatchObject({
      code: 'signature_v2_mismatch',
    });
  });

  it('fails the SDK verification once after tamperNextSignature()', async () => {
    emulator.tamperNextSignature();
    const client = sdkClient();

    await expect(client.getSSOUrl({ product: 'demo', customer_account_code: 'acme' })).rejects.toMatchObject({
      code: 'signature_v2_mismatch',
    });
    await expect(client.getSSOUrl({ product: 'demo', customer_account_code: 'acme' })).resolves.toHaveProperty('url');
  });

  it("fails the SDK's header read when the signature is omitted", async () => {
    emulator.tamperNextSignature('omit');

    // The SDK reads the header before verifying and reports its absence as its generic error.
    await expect(sdkClient().getSSOUrl({ product: 'demo', customer_account_code: 'acme' })).rejects.toMatchObject({
      code: 'internal_server_error',
    });
  });
});

describe('LicenseSpring emulator over raw HTTPS', () => {
  it('signs the exact body it sends with RSA-SHA256, in the SPKI key it publishes', async () => {
    const response = await getSsoUrl(SAMPLE_QUERY, signedHeaders());

    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const signature = Buffer.from(String(response.headers.licensesignature), 'base64');
    expect(verify('RSA-SHA256', Buffer.from(response.text), emulator.publicKeyPem, signature)).toBe(true);
    expect(emulator.publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
  });

  it('sends no signature header when told to omit it', async () => {
    emulator.tamperNextSignature('omit');

    const response = await getSsoUrl(SAMPLE_QUERY, signedHeaders());

    expect(response.status).toBe(200);
    expect(response.headers.licensesignature).toBeUndefined();
  });

  it('accepts the trailing slash of the documentation example and a Date 14 minutes old', async () => {
    const response = await getSsoUrl(SAMPLE_QUERY, signedHeaders({ date: new Date(Date.now() - 14 * MINUTE_MS) }), '/api/v4/sso_url/');

    expect(response.status).toBe(200);
  });

  it('defaults response_type to code', async () => {
    const response = await getSsoUrl('product=demo&customer_account_code=acme', signedHeaders());

    expect(new URL((JSON.parse(response.text) as { url: string }).url).searchParams.get('response_type')).toBe('code');
  });

  const withoutDate = (): Record<string, string> => ({ authorization: signedHeaders().authorization ?? '' });
  const withAuthorization = (authorization: string): Record<string, string> => ({ ...signedHeaders(), authorization });
  const signature = (): string => /signature="([^"]*)"/.exec(signedHeaders().authorization ?? '')?.[1] ?? '';

  it.each<[string, string, () => Record<string, string>, string]>([
    ['no Date', 'missing_headers', withoutDate, SAMPLE_QUERY],
    ['no Authorization', 'missing_headers', () => ({ date: licenseSpringDate(new Date()) }), SAMPLE_QUERY],
    ['a Date 16 minutes old', 'date_header_diff', () => signedHeaders({ date: new Date(Date.now() - 16 * MINUTE_MS) }), SAMPLE_QUERY],
    ['a Date 16 minutes ahead', 'date_header_diff', () => signedHeaders({ date: new Date(Date.now() + 16 * MINUTE_MS) }), SAMPLE_QUERY],
    ['an ISO 8601 Date', 'date_header_diff', () => ({ ...signedHeaders(), date: new Date().toISOString() }), SAMPLE_QUERY],
    ['a Bearer Authorization', 'authorization_invalid_headers', () => withAuthorization('Bearer abc'), SAMPLE_QUERY],
    [
      'an Authorization without apikey',
      'authorization_missing_params',
      () => withAuthorization(`algorithm="hmac-sha256",headers="date",signature="${signature()}"`),
      SAMPLE_QUERY,
    ],
    [
      'another algorithm',
      'hmac_required',
      () => withAuthorization(`algorithm="hmac-sha1",headers="date",signature="${signature()}",apikey="${emulator.apiKey}"`),
      SAMPLE_QUERY,
    ],
    [
      'another signed-headers list',
      'authorization_invalid_headers',
      () => withAuthorization(`algorithm="hmac-sha256",headers="date host",signature="${signature()}",apikey="${emulator.apiKey}"`),
      SAMPLE_QUERY,
    ],
    ['an unknown api key', 'invalid_api_key', () => signedHeaders({ apiKey: 'not-a-key' }), SAMPLE_QUERY],
    ['a signature made with another shared key', 'signature_mismatch', () => signedHeaders({ sharedKey: 'wrong' }), SAMPLE_QUERY],
    ['no product', 'missing_parameters', signedHeaders, 'customer_account_code=acme'],
    ['an empty customer_account_code', 'missing_parameters', signedHeaders, 'product=demo&customer_account_code='],
    ['an extra query parameter', 'validation_error', signedHeaders, `${SAMPLE_QUERY}&redirect_uri=https%3A%2F%2Fevil.example`],
    ['a repeated query parameter', 'validation_error', signedHeaders, `${SAMPLE_QUERY}&product=demo`],
    ['an unknown response_type', 'validation_error', signedHeaders, 'product=demo&customer_account_code=acme&response_type=id_token'],
    ['an unknown product', 'unknown_product', signedHeaders, 'product=nope&customer_account_code=acme'],
    ['an unknown customer account', 'customer_account_not_found', signedHeaders, 'product=demo&customer_account_code=nobody'],
  ])('rejects %s with 400 %s', async (_case, code, headers, query) => {
    const response = await getSsoUrl(query, headers());

    expect(response.status).toBe(400);
    expect(response.headers.licensesignature).toBeUndefined();
    expect(JSON.parse(response.text)).toEqual({ status: 400, code, message: expect.any(String) });
  });

  it('checks the signature after the Date window, so a stale Date hides a bad signature', async () => {
    const stale = signedHeaders({ sharedKey: 'wrong', date: new Date(Date.now() - 16 * MINUTE_MS) });

    expect(JSON.parse((await getSsoUrl(SAMPLE_QUERY, stale)).text)).toMatchObject({ code: 'date_header_diff' });
  });

  it('counts every call of the operation, rejected and injected ones included', async () => {
    emulator.resetCalls();
    emulator.inject('SsoUrl', { status: 503 });

    const injected = await getSsoUrl(SAMPLE_QUERY, signedHeaders());
    await getSsoUrl(SAMPLE_QUERY, signedHeaders({ sharedKey: 'wrong' }));
    await getSsoUrl('product=nope&customer_account_code=acme', signedHeaders());
    await getSsoUrl(SAMPLE_QUERY, signedHeaders());
    const unrouted = await getSsoUrl(SAMPLE_QUERY, signedHeaders(), '/api/v4/check_license');

    expect(injected.status).toBe(503);
    expect(JSON.parse(unrouted.text)).toMatchObject({ status: 404, code: 'not_found' });
    expect(emulator.calls()).toEqual({ SsoUrl: 4 });
  });
});

describe('LicenseSpring emulator configuration', () => {
  it('generates an API key and shared key, and seeds product demo with customer account acme', () => {
    const fresh = new LicenseSpringEmulator();

    expect(fresh.apiKey).toMatch(/\S{16,}/);
    expect(fresh.sharedKey).toMatch(/\S{16,}/);
    expect(fresh.apiKey).not.toBe(emulator.apiKey);
    expect(fresh.products).toEqual({ demo: { customerAccounts: ['acme'] } });
  });

  it('measures the Date window against the injected clock', async () => {
    const clockAhead = new LicenseSpringEmulator({
      apiKeys: [{ apiKey: 'k1', sharedKey: 's1' }],
      clock: new TestClock(new Date(Date.now() + 20 * MINUTE_MS)),
    });
    await clockAhead.start(tls);
    try {
      const request = (date: Date): Promise<RawResponse> =>
        httpsGet(`${clockAhead.url}/api/v4/sso_url?${SAMPLE_QUERY}`, signedHeaders({ apiKey: 'k1', sharedKey: 's1', date }));

      expect((await request(new Date())).status).toBe(400);
      expect((await request(new Date(Date.now() + 20 * MINUTE_MS))).status).toBe(200);
    } finally {
      await clockAhead.stop();
    }
  });
});
