import type * as GatewayTokenFunction from '../../../functions/gatewayToken';
import { gatewayTokenHandler } from '../../../functions/gatewayToken';
import { licenseSpringSsoUrlHandler } from '../../../functions/licenseSpringSsoUrl';
import { algNoneToken, foreignKeyToken, publicKeyHmacToken, tamperedToken } from '../../../local/emulators/issuer/localIssuer';
import type { LocalEnvironment } from '../../../local/localEnvironment';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

let env: LocalEnvironment;
let valid: string;

beforeAll(async () => {
  env = await startBrokerEnvironment(
    {},
    {
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

describe('caller authentication: every refused token is a 401 that reaches no upstream', () => {
  const cases: [string, () => Promise<string | undefined>][] = [
    ['no token', async () => undefined],
    ['a malformed token', async () => 'Bearer not-a-jwt'],
    ['another scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
    ['a bad signature (tampered payload)', async () => bearer(tamperedToken(valid, { roles: ['Broker.GatewayToken', 'Broker.Rotate'] }))],
    ['alg: none', async () => bearer(algNoneToken(valid))],
    ['HS256 signed with the public key', async () => bearer(await publicKeyHmacToken(valid, await env.issuer.publicKeyPem()))],
    ['an unknown kid', async () => bearer(await foreignKeyToken(valid))],
    ['a wrong issuer', async () => bearer(await env.callerToken({ tenant: '99999999-9999-9999-9999-999999999999' }))],
    ['a wrong audience', async () => bearer(await env.callerToken({ audience: 'api://someone-else' }))],
    ['an expired token', async () => bearer(await env.callerToken({ issuedAt: new Date(Date.now() - 3 * HOUR), lifetimeSeconds: 3600 }))],
    ['a token not yet valid', async () => bearer(await env.callerToken({ notBefore: new Date(Date.now() + HOUR) }))],
    [
      'a token issued later than now plus the skew',
      async () => bearer(await env.callerToken({ issuedAt: new Date(Date.now() + 2 * MINUTE), notBefore: new Date(Date.now() - MINUTE) })),
    ],
  ];

  it.each(cases)('refuses %s', async (_name, make) => {
    const result = await gatewayToken(await make());
    expect(result.status).toBe(401);
    expect(result.json.error).toEqual({ code: 'Unauthorized', message: 'A valid bearer token is required.' });
    expect(result.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(upstreamCalls()).toBe(0);
    const audit = result.logs.filter((line) => line.includes('"event":"audit"'));
    expect(audit).toHaveLength(1);
    expect(JSON.parse((audit[0] ?? '').replace(/^\[\w+\] /, ''))).toMatchObject({
      outcome: 'denied',
      target: { service: 'apimService1', gatewayId: 'gw1' },
    });
  });

  it('accepts v1 and v2 tokens of the tenant', async () => {
    for (const version of [1, 2] as const) {
      expect((await gatewayToken(bearer(await env.callerToken({ version })))).status).toBe(200);
    }
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
