import { decodeJwt, decodeProtectedHeader } from 'jose';
import type * as GatewayTokenFunction from '../../../functions/gatewayToken';
import { gatewayTokenHandler } from '../../../functions/gatewayToken';
import { licenseSpringSsoUrlHandler } from '../../../functions/licenseSpringSsoUrl';
import {
  algNoneToken,
  foreignKeyToken,
  LOCAL_CALLER,
  LOCAL_USER,
  publicKeyHmacToken,
  tamperedToken,
} from '../../../local/emulators/issuer/localIssuer';
import { LOCAL_SAMPLE, type LocalEnvironment } from '../../../local/localEnvironment';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

let env: LocalEnvironment;
let valid: string;

/** A second accepted audience (the broker's client id, as v2 tokens typically name it), so the 401 must list both. */
const CLIENT_ID_AUDIENCE = '77777777-7777-7777-7777-777777777777';
const AUDIENCES = [LOCAL_SAMPLE.audience, CLIENT_ID_AUDIENCE];

beforeAll(async () => {
  env = await startBrokerEnvironment(
    {},
    {
      BROKER_AUTH_AUDIENCES: AUDIENCES.join(','),
      BROKER_ROLES_GATEWAY_TOKEN: 'Broker.GatewayToken,Broker.GatewayToken.TeamA',
      BROKER_ROLE_SCOPES: JSON.stringify({ 'Broker.GatewayToken.TeamA': { services: ['apimService1'], gateways: ['gw1'] } }),
    },
  );
  valid = await env.callerToken();
});
afterAll(() => env.stop());
beforeEach(() => env.resetCalls());

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const upstreamCalls = () => {
  const { arm, licensespring, keyvault } = env.upstreamCalls();
  return [arm, licensespring, keyvault].flatMap((calls) => Object.values(calls ?? {})).reduce((a, b) => a + b, 0);
};

function gatewayToken(authorization: string | undefined, gatewayId = 'gw1') {
  return invokeHandler(gatewayTokenHandler, {
    method: 'POST',
    params: { service: 'apimService1', gatewayId },
    headers: authorization === undefined ? {} : { authorization },
  });
}

const bearer = (token: string) => `Bearer ${token}`;

const invalidToken = (description: string) => `Bearer error="invalid_token", error_description="${description}"`;

/**
 * Every part of a presented Authorization header a 401 must not echo: the scheme's value, each JWS
 * segment, the `kid`, and every string claim value but the configured audiences (which the
 * audience sentence names from configuration, whatever the token says).
 */
function presentedParts(authorization: string | undefined): string[] {
  if (authorization === undefined) return [];
  const value = authorization.replace(/^\S+ /, '');
  const parts = [value, ...value.split('.')];
  try {
    const { kid } = decodeProtectedHeader(value);
    if (kid !== undefined) parts.push(kid);
    const strings = Object.values(decodeJwt(value)).flatMap((claim) => (Array.isArray(claim) ? claim : [claim]));
    parts.push(...strings.filter((claim): claim is string => typeof claim === 'string' && !AUDIENCES.includes(claim)));
  } catch {
    // Not a JWT: the value and its segments are all there is to echo.
  }
  return parts.filter((part) => part.length >= 6);
}

describe('caller authentication: every refused token is a 401 naming the failed check, reaching no upstream', () => {
  const cases: [string, () => Promise<string | undefined>, string | undefined][] = [
    ['no token', async () => undefined, undefined],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`, undefined],
    ['a malformed token', async () => 'Bearer not-a-jwt', 'The bearer token is no well-formed JWT.'],
    [
      'a bad signature (tampered payload)',
      async () => bearer(tamperedToken(valid, { roles: ['Broker.GatewayToken', 'Broker.Rotate'] })),
      "The token's signature does not verify.",
    ],
    ['alg: none', async () => bearer(algNoneToken(valid)), 'The token must be signed with RS256.'],
    [
      'HS256 signed with the public key',
      async () => bearer(await publicKeyHmacToken(valid, await env.issuer.publicKeyPem())),
      'The token must be signed with RS256.',
    ],
    ['an unknown kid', async () => bearer(await foreignKeyToken(valid)), "The token's signing key is not one the tenant publishes."],
    [
      'another tenant',
      async () => bearer(await env.callerToken({ tenant: '99999999-9999-9999-9999-999999999999' })),
      "The token's issuer is not accepted: it must be the broker's tenant (its v1 or v2 issuer).",
    ],
    [
      'a wrong audience',
      async () => bearer(await env.callerToken({ audience: 'api://someone-else' })),
      `The token's audience is not accepted; accepted: ${LOCAL_SAMPLE.audience}, ${CLIENT_ID_AUDIENCE}.`,
    ],
    [
      'an expired token',
      async () => bearer(await env.callerToken({ issuedAt: new Date(Date.now() - 3 * HOUR), lifetimeSeconds: 3600 })),
      'The token has expired.',
    ],
    [
      'a token not yet valid',
      async () => bearer(await env.callerToken({ notBefore: new Date(Date.now() + HOUR) })),
      'The token is not yet valid.',
    ],
    [
      'a token issued later than now plus the skew',
      async () => bearer(await env.callerToken({ issuedAt: new Date(Date.now() + 2 * MINUTE), notBefore: new Date(Date.now() - MINUTE) })),
      'The token was issued in the future.',
    ],
    [
      'a token without exp',
      async () => bearer(await env.callerToken({ extraClaims: { exp: undefined } })),
      "The token's 'exp' claim is missing or invalid.",
    ],
    [
      'a token naming no caller',
      async () => bearer(await env.callerToken({ extraClaims: { oid: undefined, sub: undefined } })),
      'The token names no caller (oid or sub).',
    ],
    [
      'an application token carrying delegated scopes',
      async () => bearer(await env.callerToken({ extraClaims: { scp: 'access_as_user' } })),
      'The token is neither an application nor a delegated access token.',
    ],
    [
      'a token of an unknown type',
      async () => bearer(await env.callerToken({ extraClaims: { idtyp: 'device' } })),
      'The token is neither an application nor a delegated access token.',
    ],
  ];

  it.each(cases)('refuses %s', async (_name, make, failedCheck) => {
    const authorization = await make();
    const result = await gatewayToken(authorization);
    expect(result.status).toBe(401);
    expect(result.json.error).toEqual({
      code: 'Unauthorized',
      message: failedCheck === undefined ? 'A valid bearer token is required.' : `A valid bearer token is required. ${failedCheck}`,
    });
    expect(result.headers['www-authenticate']).toBe(failedCheck === undefined ? 'Bearer' : invalidToken(failedCheck));
    for (const part of presentedParts(authorization)) {
      expect(result.headers['www-authenticate']).not.toContain(part);
      expect(result.json.error.message).not.toContain(part);
    }
    expect(upstreamCalls()).toBe(0);
    const audit = result.logs.filter((line) => line.includes('"event":"audit"'));
    expect(audit).toHaveLength(1);
    expect(JSON.parse((audit[0] ?? '').replace(/^\[\w+\] /, ''))).toMatchObject({
      outcome: 'denied',
      target: { service: 'apimService1', gatewayId: 'gw1' },
    });
  });

  it('accepts v1 and v2 tokens of the tenant, for either audience', async () => {
    for (const version of [1, 2] as const) {
      expect((await gatewayToken(bearer(await env.callerToken({ version })))).status).toBe(200);
      expect((await gatewayToken(bearer(await env.callerToken({ version, audience: CLIENT_ID_AUDIENCE })))).status).toBe(200);
    }
  });

  it('takes the Bearer scheme in any case, as RFC 7235 wants', async () => {
    expect((await gatewayToken(`bearer ${valid}`)).status).toBe(200);
  });
});

describe('callers from Logic Apps: application and delegated tokens, authorized by app role', () => {
  const auditOf = (result: Awaited<ReturnType<typeof gatewayToken>>) =>
    JSON.parse((result.logs.find((line) => line.includes('"event":"audit"')) ?? '').replace(/^\[\w+\] /, ''));

  it.each([1, 2] as const)('accepts a v%s application token (a managed identity) with the role, refuses it without', async (version) => {
    const withRole = await gatewayToken(bearer(await env.callerToken({ version, roles: ['Broker.GatewayToken'] })));
    expect(withRole.status).toBe(200);
    expect(auditOf(withRole).caller).toEqual({ id: LOCAL_CALLER.oid, appId: LOCAL_CALLER.appId });
    env.resetCalls();
    const without = await gatewayToken(bearer(await env.callerToken({ version, roles: ['Broker.SsoToken'] })));
    expect(without.status).toBe(403);
    expect(without.json.error.message).toBe("The caller lacks the app role 'Broker.GatewayToken' this operation requires.");
    expect(without.headers['www-authenticate']).toBeUndefined();
    expect(upstreamCalls()).toBe(0);
  });

  it.each([1, 2] as const)(
    "accepts a v%s user's delegated token (a custom connector) with the role, refuses it without",
    async (version) => {
      const withRole = await gatewayToken(bearer(await env.callerToken({ version, delegated: true, roles: ['Broker.GatewayToken'] })));
      expect(withRole.status).toBe(200);
      // The user is the caller the mint limit and the audit count, not the connector's client app.
      expect(auditOf(withRole).caller).toEqual({ id: LOCAL_USER.oid, appId: LOCAL_CALLER.appId, delegated: true });
      env.resetCalls();
      const without = await gatewayToken(bearer(await env.callerToken({ version, delegated: true, roles: [] })));
      expect(without.status).toBe(403);
      expect(without.json.error.message).toBe("The caller lacks the app role 'Broker.GatewayToken' this operation requires.");
      expect(upstreamCalls()).toBe(0);
    },
  );

  it("accepts a delegated token that says it is one (idtyp: user), and Entra's scope list with other scopes", async () => {
    const token = await env.callerToken({ delegated: true, scopes: ['User.Read', 'access_as_user'], extraClaims: { idtyp: 'user' } });
    expect((await gatewayToken(bearer(token))).status).toBe(200);
  });

  it.each([
    ['without the scope', { scopes: ['User.Read'] }],
    ['that says it is one (idtyp: user) but has no scp', { extraClaims: { idtyp: 'user', scp: undefined } }],
  ])('refuses a delegated token %s: 403 naming the scope, whatever its roles, reaching no upstream', async (_name, options) => {
    const result = await gatewayToken(bearer(await env.callerToken({ delegated: true, roles: ['Broker.GatewayToken'], ...options })));
    expect(result.status).toBe(403);
    const message = "The delegated token lacks the scope 'access_as_user' of the broker's app registration.";
    expect(result.json.error).toEqual({ code: 'Forbidden', message });
    expect(result.headers['www-authenticate']).toBe(
      `Bearer error="insufficient_scope", scope="access_as_user", error_description="${message}"`,
    );
    expect(upstreamCalls()).toBe(0);
    expect(auditOf(result)).toMatchObject({ outcome: 'denied', status: 403, caller: { id: LOCAL_USER.oid, delegated: true } });
  });
});

describe('caller authorization: deny by default, 403 naming the role', () => {
  it('refuses a valid caller without any role', async () => {
    const result = await gatewayToken(bearer(await env.callerToken({ roles: [] })));
    expect(result.status).toBe(403);
    expect(result.json.error.message).toBe("The caller lacks the app role 'Broker.GatewayToken' this operation requires.");
    expect(upstreamCalls()).toBe(0);
  });

  it('refuses a role for another operation', async () => {
    const result = await gatewayToken(bearer(await env.callerToken({ roles: ['Broker.SsoToken'] })));
    expect(result.status).toBe(403);
    expect(result.json.error.message).toContain("'Broker.GatewayToken'");
    const licenseSpring = await invokeHandler(licenseSpringSsoUrlHandler, {
      path: '/api/licensespring/sso-url?product=demo&customer_account_code=acme',
      headers: { authorization: bearer(await env.callerToken({ roles: ['Broker.GatewayToken'] })) },
    });
    expect(licenseSpring.status).toBe(403);
    expect(licenseSpring.json.error.message).toContain("'Broker.LicenseSpring.SsoUrl'");
    expect(upstreamCalls()).toBe(0);
  });

  it('keeps a scoped caller to its gateways', async () => {
    const teamA = bearer(await env.callerToken({ roles: ['Broker.GatewayToken.TeamA'] }));
    const refused = await gatewayToken(teamA, 'gw2');
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe("The caller's app roles do not cover gateway 'gw2' of service 'apimService1'.");
    expect(upstreamCalls()).toBe(0);
    expect((await gatewayToken(teamA, 'gw1')).status).toBe(200);
  });

  it('lets an unscoped role reach every gateway', async () => {
    expect((await gatewayToken(bearer(valid), 'gw2')).status).toBe(200);
  });
});

describe('caller authentication while the JWKS endpoint is down', () => {
  it('answers 503 AuthenticationUnavailable when no cached key can check the token, reaching no upstream', async () => {
    // A fresh instance has no keys cached; 404 is not retried, so no backoff runs on the real clock.
    const fresh = freshInstance(() => require('../../../functions/gatewayToken') as typeof GatewayTokenFunction);
    env.issuer.inject('Jwks', { status: 404, times: 1000 });
    try {
      const result = await invokeHandler(fresh.gatewayTokenHandler, {
        method: 'POST',
        params: { service: 'apimService1', gatewayId: 'gw1' },
        headers: { authorization: bearer(valid), 'x-request-id': 'jwks-down-1' },
      });
      expect(result.status).toBe(503);
      expect(result.json.error).toEqual({
        code: 'AuthenticationUnavailable',
        message:
          "The broker cannot check bearer tokens right now: its identity provider's signing keys are unavailable. Request id: jwks-down-1.",
      });
      expect(result.headers['www-authenticate']).toBeUndefined();
      expect(upstreamCalls()).toBe(0);
      expect(env.issuer.calls().Jwks).toBe(1);
      expect(result.logs.join('\n')).toContain('JWKS refresh failed and no cached key matches the token');
    } finally {
      env.issuer.clearFaults();
    }
  });
});
