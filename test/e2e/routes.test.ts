import { useLocalBroker } from '../support/localBroker';
import { brokerNow, callsDelta, fetchWithin } from './support/http';

/**
 * Every route of the built app over real HTTP, through the local host and its emulators. Token
 * values are only ever compared inside boolean checks, so a failure message never shows one.
 */
const broker = useLocalBroker();

const SERVICE = 'apimService1';
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The default maximum gateway token lifetime: 30 days minus the 60 s clock-skew margin. */
const GATEWAY_MAX_LIFETIME_MS = 30 * DAY - MINUTE;
const SSO_LIFETIME_MS = 5 * MINUTE;
const WHOLE_SECONDS_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const SECRET_FIELDS = ['clientSecret', 'resourceOwnerUsername', 'resourceOwnerPassword'];

interface Answer {
  response: Response;
  body: any;
  /** `emulator.operation → +n` on ARM and LicenseSpring while the request ran. */
  calls: Record<string, number>;
}

/** One request, with the upstream calls it caused. */
async function call(path: string, init: RequestInit = {}): Promise<Answer> {
  const before = await broker().upstreamCalls();
  const headers = { authorization: broker().authorization, ...(init.headers as Record<string, string> | undefined) };
  const response = await fetchWithin(`${broker().url}${path}`, { ...init, headers });
  const text = await response.text();
  const after = await broker().upstreamCalls();
  return { response, body: text === '' ? undefined : JSON.parse(text), calls: callsDelta(before, after) };
}

const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** Every key anywhere in a JSON value. */
function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...allKeys(inner)]);
  return [];
}

function expectGatewayToken(body: any, gatewayId: string, keyType: 'primary' | 'secondary'): void {
  expect(Object.keys(body).sort()).toEqual(['authorization', 'expiresOn', 'gatewayId', 'keyType', 'value']);
  expect({ gatewayId: body.gatewayId, keyType: body.keyType }).toEqual({ gatewayId, keyType });
  expect(typeof body.value).toBe('string');
  expect(body.value.length > 0).toBe(true);
  expect(body.authorization === `GatewayKey ${body.value}`).toBe(true);
  expect(body.expiresOn).toMatch(WHOLE_SECONDS_UTC);
}

function expectCommonHeaders(response: Response, cacheControl: 'no-store' | 'no-cache'): void {
  expect(response.headers.get('cache-control')).toBe(cacheControl);
  expect(response.headers.get('x-request-id')).toMatch(REQUEST_ID);
}

/** The first request for a token identity reaches the upstream, and says so. */
function expectFirstMintCacheHeader(response: Response): void {
  expect(response.headers.get('x-cache')).toBe('miss');
}

describe('POST /api/apim/{service}/sso-token', () => {
  it('returns {redirectUri, expiresOn} valid at most 5 minutes, no-store, one GetSsoToken call', async () => {
    const before = await brokerNow(broker().url);
    const { response, body, calls } = await call(`/api/apim/${SERVICE}/sso-token`, { method: 'POST' });
    const after = await brokerNow(broker().url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectCommonHeaders(response, 'no-store');
    expectFirstMintCacheHeader(response);
    expect(Object.keys(body).sort()).toEqual(['expiresOn', 'redirectUri']);
    expect(typeof body.redirectUri).toBe('string');
    expect(body.redirectUri.startsWith('https://')).toBe(true);
    expect(body.expiresOn).toMatch(ISO_UTC);
    const expiresOn = Date.parse(body.expiresOn);
    expect(expiresOn).toBeLessThanOrEqual(after + SSO_LIFETIME_MS);
    expect(expiresOn).toBeGreaterThan(before + SSO_LIFETIME_MS - 2_000);
    expect(calls).toEqual({ 'arm.ApiManagementService_GetSsoToken': 1 });
  });

  it('accepts an empty JSON object body, and serves the token minted a moment ago from memory', async () => {
    const { response, body, calls } = await call(`/api/apim/${SERVICE}/sso-token`, jsonPost({}));
    expect(response.status).toBe(200);
    expectCommonHeaders(response, 'no-store');
    expect(response.headers.get('x-cache')).toBe('hit');
    expect(Object.keys(body).sort()).toEqual(['expiresOn', 'redirectUri']);
    expect(Date.parse(body.expiresOn)).toBeLessThanOrEqual(Date.now() + SSO_LIFETIME_MS);
    expect(calls).toEqual({});
  });
});

describe('POST /api/apim/{service}/gateways/{gatewayId}/token', () => {
  it('mints with the primary key and the maximum lifetime by default, no-store, one GenerateToken call', async () => {
    const before = await brokerNow(broker().url);
    const { response, body, calls } = await call(`/api/apim/${SERVICE}/gateways/gw1/token`, { method: 'POST' });
    const after = await brokerNow(broker().url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectCommonHeaders(response, 'no-store');
    expectFirstMintCacheHeader(response);
    expectGatewayToken(body, 'gw1', 'primary');
    const expiresOn = Date.parse(body.expiresOn);
    expect(expiresOn).toBeLessThanOrEqual(after + GATEWAY_MAX_LIFETIME_MS);
    expect(expiresOn).toBeGreaterThan(before + GATEWAY_MAX_LIFETIME_MS - 2_000);
    expect(calls).toEqual({ 'arm.Gateway_GenerateToken': 1 });
  });

  it('mints with the secondary key when asked', async () => {
    const { response, body, calls } = await call(`/api/apim/${SERVICE}/gateways/gw2/token`, jsonPost({ keyType: 'secondary' }));
    expect(response.status).toBe(200);
    expectCommonHeaders(response, 'no-store');
    expectFirstMintCacheHeader(response);
    expectGatewayToken(body, 'gw2', 'secondary');
    expect(Date.parse(body.expiresOn)).toBeLessThanOrEqual(Date.now() + GATEWAY_MAX_LIFETIME_MS);
    expect(calls).toEqual({ 'arm.Gateway_GenerateToken': 1 });
  });

  it('echoes an explicit expiry cut to whole seconds (fractional seconds, Z)', async () => {
    const asked = `${new Date(Date.now() + 7 * DAY).toISOString().slice(0, 19)}.2845269Z`;
    const { response, body, calls } = await call(`/api/apim/${SERVICE}/gateways/gw1/token`, jsonPost({ expiry: asked }));
    expect(response.status).toBe(200);
    expectCommonHeaders(response, 'no-store');
    expectGatewayToken(body, 'gw1', 'primary');
    expect(body.expiresOn).toBe(`${asked.slice(0, 19)}Z`);
    expect(calls).toEqual({ 'arm.Gateway_GenerateToken': 1 });
  });

  it('echoes an explicit expiry given with an offset as UTC whole seconds, with the chosen key', async () => {
    const utc = new Date(Math.floor((Date.now() + 2 * DAY) / 1000) * 1000);
    const local = new Date(utc.getTime() + 2 * 60 * MINUTE).toISOString().slice(0, 19);
    const { response, body, calls } = await call(
      `/api/apim/${SERVICE}/gateways/gw2/token`,
      jsonPost({ keyType: 'secondary', expiry: `${local}.5+02:00` }),
    );
    expect(response.status).toBe(200);
    expectGatewayToken(body, 'gw2', 'secondary');
    expect(body.expiresOn).toBe(utc.toISOString().replace('.000Z', 'Z'));
    expect(calls).toEqual({ 'arm.Gateway_GenerateToken': 1 });
  });

  it('accepts a minValidity within the maximum', async () => {
    const { response, body, calls } = await call(
      `/api/apim/${SERVICE}/gateways/gw1/token`,
      jsonPost({ keyType: 'secondary', minValidity: 'P20D' }),
    );
    expect(response.status).toBe(200);
    expectGatewayToken(body, 'gw1', 'secondary');
    const expiresOn = Date.parse(body.expiresOn);
    expect(expiresOn).toBeGreaterThanOrEqual(Date.now() + 20 * DAY);
    expect(expiresOn).toBeLessThanOrEqual(Date.now() + GATEWAY_MAX_LIFETIME_MS);
    expectFirstMintCacheHeader(response);
    expect(calls).toEqual({ 'arm.Gateway_GenerateToken': 1 });
  });
});

describe('GET /api/apim/{service}/authorization-servers/{authsid}', () => {
  const path = `/api/apim/${SERVICE}/authorization-servers/newauthServer2`;
  let etag: string | null = null;

  it('returns the contract without secrets, with an ETag and no-cache, one AuthorizationServer_Get call', async () => {
    const { response, body, calls } = await call(path);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectCommonHeaders(response, 'no-cache');
    etag = response.headers.get('etag');
    expect(etag).toMatch(/^(W\/)?".+"$/);
    expect(Object.keys(body).sort()).toEqual(['id', 'name', 'properties', 'type']);
    expect(body.name).toBe('newauthServer2');
    expect(body.type).toBe('Microsoft.ApiManagement/service/authorizationServers');
    expect(body.properties.clientId).toBe('1');
    expect(body.properties.tokenEndpoint).toBe('https://www.contoso.com/oauth2/token');
    const keys = allKeys(body).map((key) => key.toLowerCase());
    for (const secret of SECRET_FIELDS) expect(keys).not.toContain(secret.toLowerCase());
    expect(calls).toEqual({ 'arm.AuthorizationServer_Get': 1 });
  });

  it('answers 304 with an empty body to a matching If-None-Match', async () => {
    expect(etag).not.toBeNull();
    const { response, body, calls } = await call(path, { headers: { 'if-none-match': etag ?? '' } });
    expect(response.status).toBe(304);
    expect(body).toBeUndefined();
    expect(response.headers.get('etag')).toBe(etag);
    expectCommonHeaders(response, 'no-cache');
    expect(calls).toEqual({});
  });

  it('answers 200 to an If-None-Match that does not match', async () => {
    const { response, body } = await call(path, { headers: { 'if-none-match': '"not-the-etag"' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe(etag);
    expectCommonHeaders(response, 'no-cache');
    expect(body.name).toBe('newauthServer2');
  });
});

describe('GET /api/licensespring/sso-url', () => {
  const query = 'product=demo&customer_account_code=acme';

  it('returns {url, openid_configuration, alternate_urls}, no-store, one SsoUrl call with response_type=code', async () => {
    const { response, body, calls } = await call(`/api/licensespring/sso-url?${query}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expectCommonHeaders(response, 'no-store');
    expect(Object.keys(body).sort()).toEqual(['alternate_urls', 'openid_configuration', 'url']);
    expect(typeof body.url).toBe('string');
    expect(new URL(body.url).protocol === 'https:').toBe(true);
    expect(new URL(body.url).searchParams.get('response_type') === 'code').toBe(true);
    expect(typeof body.openid_configuration).toBe('object');
    expect(Array.isArray(body.alternate_urls)).toBe(true);
    expect(calls).toEqual({ 'licensespring.SsoUrl': 1 });
  });

  it('passes response_type=token, and never caches: every call reaches LicenseSpring', async () => {
    const first = await call(`/api/licensespring/sso-url?${query}&response_type=token`);
    const second = await call(`/api/licensespring/sso-url?${query}&response_type=token`);
    for (const { response, body, calls } of [first, second]) {
      expect(response.status).toBe(200);
      expectCommonHeaders(response, 'no-store');
      expect(new URL(body.url).searchParams.get('response_type') === 'token').toBe(true);
      expect(calls).toEqual({ 'licensespring.SsoUrl': 1 });
    }
    expect(first.body.url === second.body.url).toBe(false);
  });
});

describe('x-request-id', () => {
  it('echoes a valid caller x-request-id on a token answer', async () => {
    const { response } = await call(`/api/licensespring/sso-url?product=demo&customer_account_code=acme`, {
      headers: { 'x-request-id': 'e2e.caller-1_A' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('e2e.caller-1_A');
  });

  it('echoes x-ms-client-request-id when no x-request-id is given', async () => {
    const { response } = await call('/api/health', { headers: { 'x-ms-client-request-id': '0f8fad5b-d9cb-469f-a165-70867728950e' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
  });

  it('echoes a 64-character id', async () => {
    const id = 'a'.repeat(64);
    const { response } = await call('/api/health', { headers: { 'x-request-id': id } });
    expect(response.headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['a space', 'bad id'],
    ['65 characters', 'b'.repeat(65)],
    ['a slash', 'a/b'],
    ['a quote', 'a"b'],
  ])('replaces an id with %s by a generated one', async (_label, id) => {
    const { response } = await call(`/api/apim/${SERVICE}/authorization-servers/newauthServer2`, { headers: { 'x-request-id': id } });
    expect(response.status).toBe(200);
    const echoed = response.headers.get('x-request-id');
    expect(echoed).not.toBe(id);
    expect(echoed).toMatch(REQUEST_ID);
  });

  it('echoes the caller id on an error answer too', async () => {
    const { response } = await call('/api/apim/noSuchService/sso-token', { method: 'POST', headers: { 'x-request-id': 'e2e-error-1' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-request-id')).toBe('e2e-error-1');
  });
});

describe('404 UnknownService', () => {
  it.each([
    ['POST', '/api/apim/noSuchService/sso-token', 'no-store'],
    ['POST', '/api/apim/noSuchService/gateways/gw1/token', 'no-store'],
    ['GET', '/api/apim/noSuchService/authorization-servers/newauthServer2', 'no-cache'],
  ] as const)('%s %s → 404 UnknownService, no upstream call', async (method, path, cacheControl) => {
    const { response, body, calls } = await call(path, { method });
    expect(response.status).toBe(404);
    expectCommonHeaders(response, cacheControl);
    expect(body.error.code).toBe('UnknownService');
    expect(body.error.target).toBe('service');
    expect(typeof body.error.message).toBe('string');
    expect(calls).toEqual({});
  });
});
