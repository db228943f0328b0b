import { useLocalBroker } from '../support/localBroker';
import { brokerNow, type ErrorSummary, errorSummary, rawRequest } from './support/http';

/**
 * Bad input across the four token routes, over HTTP to the built app behind the local host. Each
 * case is refused with the status and error code DESIGN.md gives, before any upstream call:
 * `/_local/upstream-calls` is byte-identical around every case and across the whole table.
 *
 * Requests go out through `rawRequest`, which sends the request-target and headers exactly as
 * written (fetch would normalise `%2E` segments and add a content type of its own).
 */
const broker = useLocalBroker();

const SERVICE = 'apimService1';
const SECOND = 1_000;
const DAY = 86_400 * SECOND;
/** DESIGN.md: the gateway token maximum is 30 days minus the 60 s clock-skew margin. */
const MAX_LIFETIME_MS = 30 * DAY - 60 * SECOND;
const MAX_LIFETIME_TEXT = /P29DT23H59M/;

const sso = (service = SERVICE) => `/api/apim/${service}/sso-token`;
const gateway = (gatewayId: string, service = SERVICE) => `/api/apim/${service}/gateways/${gatewayId}/token`;
const authServer = (authsid: string, service = SERVICE) => `/api/apim/${service}/authorization-servers/${authsid}`;
const ssoUrl = (query: string) => `/api/licensespring/sso-url?${query}`;
const LS_OK = 'product=demo&customer_account_code=acme';

/** The broker's (frozen) clock, read before the cases run: "now" for the expiry rules is its now. */
let brokerClock = Date.now();

/** Seconds-precision UTC text of the broker's now + offset, without the `.000`. */
const isoIn = (offsetMs: number) => new Date(brokerClock + offsetMs).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** `byHost`: the local host answers before any function runs, so the route's Cache-Control does not apply. */
type Expected = ErrorSummary & { allow?: string; message?: RegExp; byHost?: true };

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A function when the body depends on the time it is sent. */
  body?: string | Buffer | (() => string);
  /** One outcome, or the outcomes that are each right (see the dot-segment cases). */
  expected: Expected | Expected[];
  /** Cache-Control of the route, checked on answers the broker itself gives. */
  cacheControl?: 'no-store' | 'no-cache';
}

const invalid = (target: string): Expected => ({ status: 400, code: 'InvalidParameter', target });
const tooLong: Expected = { status: 400, code: 'ExpiryTooLong', target: 'expiry', message: MAX_LIFETIME_TEXT };
const unknownService: Expected = { status: 404, code: 'UnknownService', target: 'service' };
const notAllowed = (allow: string): Expected => ({ status: 405, code: 'MethodNotAllowed', allow, byHost: true });
/** `npm start` gives the host the broker's own 16 KiB limit, so the host refuses such a body before the function reads it. */
const tooLarge: Expected = { status: 413, code: 'PayloadTooLarge', target: 'body', byHost: true };
/**
 * A `.`/`..` segment spelled `%2E` is a dot segment to a URL parser: the host removes it before
 * routing (as Kestrel does), so the request either reaches no route (the host's 404 `NotFound`) or,
 * had it survived, the broker refuses the value. Either way nothing reaches an upstream.
 */
const dotSegment = (target: string): Expected[] => [{ status: 404, code: 'NotFound', byHost: true }, invalid(target)];

const JSON_TYPE = { 'content-type': 'application/json' };
const json = (value: unknown) => ({ headers: JSON_TYPE, body: JSON.stringify(value) });
const gatewayBody = (name: string, body: Pick<Case, 'headers' | 'body'>, expected: Expected): Case => ({
  name: `gateway token: ${name}`,
  method: 'POST',
  path: gateway('gw1'),
  ...body,
  expected,
  cacheControl: 'no-store',
});
const gatewayPath = (name: string, gatewayId: string, expected: Expected | Expected[]): Case => ({
  name: `gateway token path: ${name}`,
  method: 'POST',
  path: gateway(gatewayId),
  expected,
  cacheControl: 'no-store',
});
const authsidPath = (name: string, authsid: string, expected: Expected | Expected[]): Case => ({
  name: `authorization server path: ${name}`,
  method: 'GET',
  path: authServer(authsid),
  expected,
  cacheControl: 'no-cache',
});
const ssoBody = (name: string, body: Pick<Case, 'headers' | 'body'>, expected: Expected): Case => ({
  name: `sso-token: ${name}`,
  method: 'POST',
  path: sso(),
  ...body,
  expected,
  cacheControl: 'no-store',
});
const licenseSpring = (name: string, query: string, expected: Expected): Case => ({
  name: `licensespring sso-url: ${name}`,
  method: 'GET',
  path: ssoUrl(query),
  expected,
  cacheControl: 'no-store',
});
const method = (verb: string, path: string, allow: string): Case => ({
  name: `${verb} ${path}`,
  method: verb,
  path,
  ...(verb === 'GET' || verb === 'DELETE' ? {} : json({})),
  expected: notAllowed(allow),
});

/** 17 KiB of otherwise valid JSON. */
const OVERSIZED_JSON = JSON.stringify({ keyType: 'primary', padding: 'x'.repeat(17 * 1024) });

const CASES: Case[] = [
  // Gateway token body: wrong types
  gatewayBody('keyType 1', json({ keyType: 1 }), invalid('keyType')),
  gatewayBody('keyType null', json({ keyType: null }), invalid('keyType')),
  gatewayBody('expiry 123', json({ expiry: 123 }), invalid('expiry')),
  gatewayBody('minValidity true', json({ minValidity: true }), invalid('minValidity')),
  gatewayBody('minValidity 3600 (a number)', json({ minValidity: 3600 }), invalid('minValidity')),
  // bad enum values
  gatewayBody("keyType 'tertiary'", json({ keyType: 'tertiary' }), invalid('keyType')),
  gatewayBody("keyType 'PRIMARY'", json({ keyType: 'PRIMARY' }), invalid('keyType')),
  gatewayBody("keyType ''", json({ keyType: '' }), invalid('keyType')),
  // unknown fields
  gatewayBody('unknown field', json({ keyType: 'primary', lifetime: 'P1D' }), invalid('lifetime')),
  gatewayBody(
    "field names are case-sensitive ('Expiry')",
    { headers: JSON_TYPE, body: () => JSON.stringify({ Expiry: isoIn(DAY) }) },
    invalid('Expiry'),
  ),
  // expiry
  gatewayBody('expiry in the past (the official example)', json({ expiry: '2020-04-21T00:44:24.2845269Z' }), invalid('expiry')),
  gatewayBody(
    'expiry one minute ago',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(-60 * SECOND) }) },
    invalid('expiry'),
  ),
  gatewayBody('expiry exactly now', { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(0) }) }, invalid('expiry')),
  gatewayBody("expiry 'tomorrow'", json({ expiry: 'tomorrow' }), invalid('expiry')),
  gatewayBody(
    'expiry without a zone',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(DAY).slice(0, 19) }) },
    invalid('expiry'),
  ),
  gatewayBody(
    'expiry as a date only',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(DAY).slice(0, 10) }) },
    invalid('expiry'),
  ),
  gatewayBody('expiry on Feb 30', json({ expiry: `${new Date().getUTCFullYear() + 1}-02-30T00:00:00Z` }), invalid('expiry')),
  gatewayBody(
    'expiry at 24:00:00',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: `${isoIn(DAY).slice(0, 10)}T24:00:00Z` }) },
    invalid('expiry'),
  ),
  gatewayBody(
    'expiry with offset +25:00',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: `${isoIn(DAY).slice(0, 19)}+25:00` }) },
    invalid('expiry'),
  ),
  gatewayBody(
    'expiry as epoch milliseconds text',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: String(Date.now() + DAY) }) },
    invalid('expiry'),
  ),
  gatewayBody(
    'expiry with offset minutes over 59 (+05:75)',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: `${isoIn(DAY).slice(0, 19)}+05:75` }) },
    invalid('expiry'),
  ),
  gatewayBody(
    'expiry with offset +13:60',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: `${isoIn(DAY).slice(0, 19)}+13:60` }) },
    invalid('expiry'),
  ),
  gatewayBody('unknown field with a zero-width space, echoed escaped', json({ 'key\u200bType': 'primary' }), invalid('key\\u{200B}Type')),
  gatewayBody(
    'expiry 30 s past the maximum (30 days minus 60 s)',
    { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(MAX_LIFETIME_MS + 30 * SECOND) }) },
    tooLong,
  ),
  gatewayBody('expiry exactly 30 days ahead', { headers: JSON_TYPE, body: () => JSON.stringify({ expiry: isoIn(30 * DAY) }) }, tooLong),
  gatewayBody(
    'expiry a year ahead',
    { headers: JSON_TYPE, body: () => JSON.stringify({ keyType: 'secondary', expiry: isoIn(365 * DAY) }) },
    tooLong,
  ),
  // minValidity
  gatewayBody("minValidity '1 hour'", json({ minValidity: '1 hour' }), invalid('minValidity')),
  gatewayBody("minValidity 'P1M' (months)", json({ minValidity: 'P1M' }), invalid('minValidity')),
  gatewayBody("minValidity '-PT1H'", json({ minValidity: '-PT1H' }), invalid('minValidity')),
  gatewayBody("minValidity 'P30D', longer than the maximum", json({ minValidity: 'P30D' }), invalid('minValidity')),
  gatewayBody("minValidity 'P31D', longer than the maximum", json({ minValidity: 'P31D' }), invalid('minValidity')),
  // body shape and encoding
  gatewayBody('body an array', json([{ keyType: 'primary' }]), invalid('body')),
  gatewayBody('body a string', json('primary'), invalid('body')),
  gatewayBody('body null', json(null), invalid('body')),
  gatewayBody('body a number', json(42), invalid('body')),
  gatewayBody('unterminated JSON', { headers: JSON_TYPE, body: '{"keyType":' }, { status: 400, code: 'InvalidJson', target: 'body' }),
  gatewayBody(
    'JSON with a trailing comma',
    { headers: JSON_TYPE, body: '{"keyType":"primary",}' },
    { status: 400, code: 'InvalidJson', target: 'body' },
  ),
  gatewayBody(
    'text/plain with JSON text',
    { headers: { 'content-type': 'text/plain' }, body: '{"keyType":"primary"}' },
    { status: 415, code: 'UnsupportedMediaType', target: 'Content-Type' },
  ),
  gatewayBody(
    'a form body',
    { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'keyType=primary' },
    { status: 415, code: 'UnsupportedMediaType', target: 'Content-Type' },
  ),
  gatewayBody('a 17 KiB JSON body', { headers: JSON_TYPE, body: OVERSIZED_JSON }, tooLarge),
  gatewayBody('a 17 KiB text/plain body', { headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(17 * 1024) }, tooLarge),

  // Gateway token path values
  gatewayPath('81 characters', 'g'.repeat(81), invalid('gatewayId')),
  gatewayPath("'managed'", 'managed', invalid('gatewayId')),
  gatewayPath("'MANAGED'", 'MANAGED', invalid('gatewayId')),
  gatewayPath("'Managed'", 'Managed', invalid('gatewayId')),
  gatewayPath('encoded slash %2F', 'gw%2F1', invalid('gatewayId')),
  gatewayPath('encoded backslash %5C', 'gw%5C1', invalid('gatewayId')),
  gatewayPath('encoded percent %25', 'gw%251', invalid('gatewayId')),
  gatewayPath('double-encoded dot %252E', '%252E', invalid('gatewayId')),
  gatewayPath('control character %01', 'gw%011', invalid('gatewayId')),
  gatewayPath('NUL %00', 'gw1%00', invalid('gatewayId')),
  gatewayPath('DEL %7F', 'gw%7F', invalid('gatewayId')),
  gatewayPath('a space %20', 'gw%201', invalid('gatewayId')),
  gatewayPath('a no-break space %C2%A0', 'gw%C2%A01', invalid('gatewayId')),
  gatewayPath('a zero-width space %E2%80%8B', 'gw%E2%80%8B1', invalid('gatewayId')),
  gatewayPath('a right-to-left override %E2%80%AE', 'gw%E2%80%AE1', invalid('gatewayId')),
  gatewayPath('a byte order mark %EF%BB%BF', '%EF%BB%BFgw1', invalid('gatewayId')),
  gatewayPath("fullwidth 'ｍａｎａｇｅｄ'", encodeURIComponent('\uff4d\uff41\uff4e\uff41\uff47\uff45\uff44'), invalid('gatewayId')),
  gatewayPath("fullwidth 'ＭＡＮＡＧＥＤ'", encodeURIComponent('\uff2d\uff21\uff2e\uff21\uff27\uff25\uff24'), invalid('gatewayId')),
  gatewayPath("'.' as %2E", '%2E', dotSegment('gatewayId')),
  gatewayPath("'..' as %2E%2E", '%2E%2E', dotSegment('gatewayId')),
  gatewayPath("'..' as .%2e", '.%2e', dotSegment('gatewayId')),
  gatewayPath("'../' as %2E%2E%2F", '%2E%2E%2F', invalid('gatewayId')),
  gatewayPath("'..\\' as %2E%2E%5C", '%2E%2E%5C', invalid('gatewayId')),
  {
    name: 'gateway token: unknown service',
    method: 'POST',
    path: gateway('gw1', 'noSuchService'),
    expected: unknownService,
    cacheControl: 'no-store',
  },
  {
    name: 'gateway token: service with an encoded slash',
    method: 'POST',
    path: gateway('gw1', 'apimService1%2Fx'),
    // Both rules apply: a path value with '/' (400) that is no configured alias (404).
    expected: [invalid('service'), unknownService],
    cacheControl: 'no-store',
  },

  // Authorization server path values
  authsidPath('81 characters', 'a'.repeat(81), invalid('authsid')),
  authsidPath("'*'", 'newauth*Server2', invalid('authsid')),
  authsidPath("'#' (%23)", 'newauth%23Server2', invalid('authsid')),
  authsidPath("':'", 'newauth:Server2', invalid('authsid')),
  authsidPath("'<' (%3C)", 'newauth%3CServer2', invalid('authsid')),
  authsidPath("'>' (%3E)", 'newauth%3EServer2', invalid('authsid')),
  authsidPath("'&'", 'newauth&Server2', invalid('authsid')),
  authsidPath("'+'", 'newauth+Server2', invalid('authsid')),
  authsidPath("'?' (%3F)", 'newauth%3FServer2', invalid('authsid')),
  authsidPath('encoded slash %2F', 'newauth%2FServer2', invalid('authsid')),
  authsidPath('encoded backslash %5C', 'newauth%5CServer2', invalid('authsid')),
  authsidPath('encoded percent %25', 'newauth%25Server2', invalid('authsid')),
  authsidPath('control character %01', 'newauth%01Server2', invalid('authsid')),
  authsidPath('tab %09', 'newauth%09Server2', invalid('authsid')),
  authsidPath('a zero-width joiner %E2%80%8D', 'newauth%E2%80%8DServer2', invalid('authsid')),
  authsidPath('a left-to-right isolate %E2%81%A6', 'newauth%E2%81%A6Server2', invalid('authsid')),
  authsidPath('an ideographic space %E3%80%80', 'newauth%E3%80%80Server2', invalid('authsid')),
  authsidPath("'..' as %2E%2E", '%2E%2E', dotSegment('authsid')),
  authsidPath("'.' as %2e", '%2e', dotSegment('authsid')),
  {
    name: 'authorization server: unknown service',
    method: 'GET',
    path: authServer('newauthServer2', 'noSuchService'),
    expected: unknownService,
    cacheControl: 'no-cache',
  },

  {
    name: 'authorization server: service with a zero-width space',
    method: 'GET',
    path: authServer('newauthServer2', 'apimService1%E2%80%8B'),
    expected: invalid('service'),
    cacheControl: 'no-cache',
  },

  // SSO token
  ssoBody('a non-empty body field', json({ minValidity: 'PT5M' }), invalid('minValidity')),
  ssoBody('body an array', json([]), invalid('body')),
  ssoBody('bad JSON', { headers: JSON_TYPE, body: '{' }, { status: 400, code: 'InvalidJson', target: 'body' }),
  ssoBody(
    'text/plain with JSON text',
    { headers: { 'content-type': 'text/plain' }, body: '{}' },
    { status: 415, code: 'UnsupportedMediaType', target: 'Content-Type' },
  ),
  ssoBody('a 17 KiB JSON body', { headers: JSON_TYPE, body: OVERSIZED_JSON }, tooLarge),
  { name: 'sso-token: unknown service', method: 'POST', path: sso('noSuchService'), expected: unknownService, cacheControl: 'no-store' },
  {
    name: 'sso-token: service %2E%2E%5C',
    method: 'POST',
    path: sso('%2E%2E%5C'),
    expected: [invalid('service'), unknownService],
    cacheControl: 'no-store',
  },

  // LicenseSpring SSO URL query
  licenseSpring('missing product', 'customer_account_code=acme', invalid('product')),
  licenseSpring('missing customer_account_code', 'product=demo', invalid('customer_account_code')),
  licenseSpring('no query at all', '', invalid('product')),
  licenseSpring('empty product', 'product=&customer_account_code=acme', invalid('product')),
  licenseSpring('empty customer_account_code', 'product=demo&customer_account_code=', invalid('customer_account_code')),
  licenseSpring('257-character product', `product=${'p'.repeat(257)}&customer_account_code=acme`, invalid('product')),
  licenseSpring(
    '257-character customer_account_code',
    `product=demo&customer_account_code=${'c'.repeat(257)}`,
    invalid('customer_account_code'),
  ),
  licenseSpring('unknown query parameter', `${LS_OK}&locale=en`, invalid('locale')),
  licenseSpring('a __proto__ query parameter', `${LS_OK}&__proto__=x`, invalid('__proto__')),
  licenseSpring('a constructor query parameter', `${LS_OK}&constructor=x`, invalid('constructor')),
  licenseSpring('a control character in product', 'product=de%01mo&customer_account_code=acme', invalid('product')),
  licenseSpring(
    'a zero-width space in customer_account_code',
    'product=demo&customer_account_code=ac%E2%80%8Bme',
    invalid('customer_account_code'),
  ),
  licenseSpring('repeated product', `${LS_OK}&product=demo`, invalid('product')),
  licenseSpring('repeated product with different values', `product=demo&product=other&customer_account_code=acme`, invalid('product')),
  licenseSpring('repeated response_type', `${LS_OK}&response_type=code&response_type=code`, invalid('response_type')),
  licenseSpring("response_type 'id_token'", `${LS_OK}&response_type=id_token`, invalid('response_type')),
  licenseSpring("response_type 'CODE'", `${LS_OK}&response_type=CODE`, invalid('response_type')),
  licenseSpring('empty response_type', `${LS_OK}&response_type=`, invalid('response_type')),

  // Methods a route does not serve: the local host answers, no function code runs
  method('GET', sso(), 'POST'),
  method('PUT', sso(), 'POST'),
  method('GET', gateway('gw1'), 'POST'),
  method('PUT', gateway('gw1'), 'POST'),
  method('DELETE', gateway('gw1'), 'POST'),
  method('POST', authServer('newauthServer2'), 'GET'),
  method('DELETE', authServer('newauthServer2'), 'GET'),
  method('PUT', authServer('newauthServer2'), 'GET'),
  method('POST', ssoUrl(LS_OK), 'GET'),
  method('DELETE', ssoUrl(LS_OK), 'GET'),
];

let callsAtStart: string;

beforeAll(async () => {
  brokerClock = await brokerNow(broker().url);
  // The first authenticated request fetches the issuer's JWKS; make it before counting.
  await rawRequest(broker().url, { method: 'GET', path: authServer('bad*authsid'), headers: { authorization: broker().authorization } });
  callsAtStart = await broker().upstreamCallsText();
});

describe('bad input is refused before any upstream call', () => {
  it('has at least 40 cases with distinct names', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(40);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const before = await broker().upstreamCallsText();
    const body = typeof c.body === 'function' ? c.body() : c.body;
    const response = await rawRequest(broker().url, {
      method: c.method,
      path: c.path,
      headers: { authorization: broker().authorization, 'x-request-id': 'e2e-bad-input', ...c.headers },
      ...(body === undefined ? {} : { body }),
    });
    const after = await broker().upstreamCallsText();

    const summary: ErrorSummary & { allow?: string } = errorSummary(response.status, response.json);
    const allow = response.headers.allow;
    if (typeof allow === 'string') summary.allow = allow;
    const alternatives = (Array.isArray(c.expected) ? c.expected : [c.expected]).map(
      ({ message: _message, byHost: _byHost, ...rest }) => rest,
    );
    if (alternatives.length === 1) expect(summary).toEqual(alternatives[0]);
    else expect(alternatives).toContainEqual(summary);

    const error = response.json?.error;
    if (summary.code !== undefined) {
      expect(typeof error.message).toBe('string');
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-request-id']).toBe('e2e-bad-input');
    }
    const matched = (Array.isArray(c.expected) ? c.expected : [c.expected]).find(
      (e) => e.status === summary.status && e.code === summary.code,
    );
    if (matched?.message) expect(error.message).toMatch(matched.message);
    if (summary.code === 'InvalidParameter') {
      expect(Array.isArray(error.details)).toBe(true);
      expect(error.details.map((detail: { target?: string }) => detail.target)).toContain(summary.target);
    }
    if (c.cacheControl && summary.code !== undefined && !matched?.byHost) {
      expect(response.headers['cache-control']).toBe(c.cacheControl);
    }
    expect(after).toBe(before);
  });

  it('left /_local/upstream-calls byte-identical across the whole table', async () => {
    expect(await broker().upstreamCallsText()).toBe(callsAtStart);
    const { issuer: _jwksFetchedOnce, ...upstreams } = JSON.parse(callsAtStart) as Record<string, Record<string, number>>;
    for (const operations of Object.values(upstreams)) for (const count of Object.values(operations)) expect(count).toBe(0);
  });
});
