import https from 'node:https';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, errors, type JWK, type JWTVerifyOptions, jwtVerify } from 'jose';
import {
  algNoneToken,
  DEFAULT_TOKEN_LIFETIME_SECONDS,
  foreignKeyToken,
  LOCAL_CALLER,
  LOCAL_TENANT_ID,
  LOCAL_USER,
  LocalIssuer,
  publicKeyHmacToken,
  tamperedToken,
} from '../../../../../local/emulators/issuer/localIssuer';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { TestClock } from '../../../../support/testClock';

const AUDIENCE = 'api://token-broker';
const ROLES = ['Broker.Gateway.Mint', 'Broker.Rotate'];
const OTHER_TENANT = '99999999-9999-9999-9999-999999999999';

interface JsonResponse {
  status: number;
  body: Record<string, unknown>;
}

let tls: LocalTlsMaterial;
let agent: https.Agent;
const issuers: LocalIssuer[] = [];

beforeAll(async () => {
  tls = await createLocalTls();
  agent = new https.Agent({ ca: tls.cert });
});

afterAll(async () => {
  await Promise.all(issuers.map((issuer) => issuer.stop()));
  agent.destroy();
});

async function startIssuer(options: ConstructorParameters<typeof LocalIssuer>[0] = {}): Promise<LocalIssuer> {
  const issuer = new LocalIssuer(options);
  issuers.push(issuer);
  await issuer.start(tls);
  return issuer;
}

function getJson(url: string): Promise<JsonResponse> {
  return new Promise((resolve, reject) => {
    https
      .get(url, { ca: tls.cert }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

/** A JWKS client as the broker will hold one; a zero cooldown lets an unknown kid refetch at once. */
function remoteJwks(issuer: LocalIssuer, cooldownDuration = 0) {
  return createRemoteJWKSet(new URL(issuer.jwksUri), { agent, cooldownDuration });
}

function verifyOptions(issuer: LocalIssuer, version: 1 | 2 = 2): JWTVerifyOptions {
  return { issuer: issuer.issuer(version), audience: AUDIENCE, algorithms: ['RS256'] };
}

describe('metadata', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });
  beforeEach(() => issuer.resetCalls());
  afterEach(() => issuer.clearFaults());

  it("serves the tenant's v2.0 OpenID configuration with Entra's shape", async () => {
    const { status, body } = await getJson(`${issuer.url}/${LOCAL_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(status).toBe(200);
    expect(issuer.openIdConfigurationUrl).toBe(`${issuer.url}/${LOCAL_TENANT_ID}/v2.0/.well-known/openid-configuration`);
    expect(body).toMatchObject({
      issuer: `${issuer.url}/${LOCAL_TENANT_ID}/v2.0`,
      jwks_uri: `${issuer.url}/${LOCAL_TENANT_ID}/discovery/v2.0/keys`,
      token_endpoint: `${issuer.url}/${LOCAL_TENANT_ID}/oauth2/v2.0/token`,
      authorization_endpoint: `${issuer.url}/${LOCAL_TENANT_ID}/oauth2/v2.0/authorize`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['pairwise'],
      response_types_supported: expect.arrayContaining(['code']),
    });
    expect(body.jwks_uri).toBe(issuer.jwksUri);
    expect(issuer.calls()).toEqual({ OpenIdConfiguration: 1, Jwks: 0 });
  });

  it('publishes only public RSA signing keys in the JWKS', async () => {
    const { status, body } = await getJson(issuer.jwksUri);
    expect(status).toBe(200);
    const keys = body.keys as JWK[];
    expect(keys).toHaveLength(1);
    const [key] = keys;
    expect(Object.keys(key ?? {}).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
    expect(key).toMatchObject({ kty: 'RSA', use: 'sig', alg: 'RS256', e: 'AQAB', kid: expect.stringMatching(/^[\w-]{43}$/) });
    // A 2048-bit modulus is 256 bytes.
    expect(Buffer.from(key?.n ?? '', 'base64url')).toHaveLength(256);
    expect(issuer.calls()).toEqual({ OpenIdConfiguration: 0, Jwks: 1 });
  });

  it('matches the tenant GUID case-insensitively and refuses other tenants as Entra does, counting them', async () => {
    expect((await getJson(`${issuer.url}/${LOCAL_TENANT_ID.toUpperCase()}/discovery/v2.0/keys`)).status).toBe(200);
    for (const url of [
      `${issuer.url}/${OTHER_TENANT}/v2.0/.well-known/openid-configuration`,
      `${issuer.url}/${OTHER_TENANT}/discovery/v2.0/keys`,
    ]) {
      const { status, body } = await getJson(url);
      expect(status).toBe(400);
      expect(body).toMatchObject({
        error: 'invalid_tenant',
        error_description: expect.stringMatching(/^AADSTS90002: Tenant '99999999-9999-9999-9999-999999999999' not found\./),
        error_codes: [90002],
        timestamp: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/),
        trace_id: expect.any(String),
        correlation_id: expect.any(String),
      });
    }
    expect(issuer.calls()).toEqual({ OpenIdConfiguration: 1, Jwks: 2 });
  });

  it("answers unknown paths and injected faults with Entra's OAuth error body", async () => {
    const unknown = await getJson(`${issuer.url}/${LOCAL_TENANT_ID}/oauth2/v2.0/token`);
    expect(unknown).toMatchObject({ status: 404, body: { error: 'invalid_request' } });

    issuer.inject('Jwks', { status: 503, retryAfterSeconds: 1 });
    expect(await getJson(issuer.jwksUri)).toMatchObject({ status: 503, body: { error: 'server_error' } });
    expect(issuer.calls()).toEqual({ OpenIdConfiguration: 0, Jwks: 1 });
  });

  it('surfaces a JWKS outage to jose as a failed fetch', async () => {
    issuer.inject('Jwks', { status: 503 });
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
    await expect(jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer))).rejects.toThrow(
      'Expected 200 OK from the JSON Web Key Set HTTP response',
    );
  });

  it('refuses a tenant id that is not a GUID', () => {
    expect(() => new LocalIssuer({ tenantId: 'contoso.onmicrosoft.com' })).toThrow('must be a GUID');
  });
});

describe('minted tokens', () => {
  let issuer: LocalIssuer;
  beforeAll(async () => {
    issuer = await startIssuer();
  });

  it('verifies a v2 token through the JWKS the OpenID configuration names, with Entra v2 app claims', async () => {
    const { body: configuration } = await getJson(issuer.openIdConfigurationUrl);
    const jwks = createRemoteJWKSet(new URL(String(configuration.jwks_uri)), { agent });
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, version: 2 });

    const { payload, protectedHeader } = await jwtVerify(token, jwks, {
      issuer: String(configuration.issuer),
      audience: AUDIENCE,
      algorithms: ['RS256'],
    });

    expect(protectedHeader).toEqual({ alg: 'RS256', typ: 'JWT', kid: expect.any(String) });
    expect(payload).toEqual({
      aud: AUDIENCE,
      iss: `${issuer.url}/${LOCAL_TENANT_ID}/v2.0`,
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: (payload.iat ?? 0) + DEFAULT_TOKEN_LIFETIME_SECONDS,
      azp: LOCAL_CALLER.appId,
      azpacr: '2',
      idtyp: 'app',
      oid: LOCAL_CALLER.oid,
      roles: ROLES,
      sub: LOCAL_CALLER.oid,
      tid: LOCAL_TENANT_ID,
      uti: expect.stringMatching(/^[\w-]{22}$/),
      ver: '2.0',
    });
  });

  it('verifies a v1 token against the local v1 issuer, with Entra v1 app claims', async () => {
    const appId = '44444444-4444-4444-4444-444444444444';
    const oid = '55555555-5555-5555-5555-555555555555';
    const token = await issuer.mintToken({ roles: ['Broker.Sso'], audience: AUDIENCE, appId, oid, version: 1 });

    const v1Issuer = `${issuer.url}/${LOCAL_TENANT_ID}/`;
    expect(issuer.issuer(1)).toBe(v1Issuer);
    const { payload } = await jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer, 1));

    expect(payload).toEqual({
      aud: AUDIENCE,
      iss: v1Issuer,
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: (payload.iat ?? 0) + DEFAULT_TOKEN_LIFETIME_SECONDS,
      appid: appId,
      appidacr: '2',
      idp: v1Issuer,
      idtyp: 'app',
      oid,
      roles: ['Broker.Sso'],
      sub: oid,
      tid: LOCAL_TENANT_ID,
      uti: expect.any(String),
      ver: '1.0',
    });
    await expect(jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer, 2))).rejects.toBeInstanceOf(errors.JWTClaimValidationFailed);
  });

  it('gives every token its own uti', async () => {
    const [first, second] = await Promise.all([1, 2].map(() => issuer.mintToken({ roles: ROLES, audience: AUDIENCE })));
    expect(decodeJwt(first ?? '').uti).not.toBe(decodeJwt(second ?? '').uti);
  });

  it('adds a name, and lets extra claims add, override and remove claims', async () => {
    const token = await issuer.mintToken({
      roles: ROLES,
      audience: AUDIENCE,
      name: 'rotation-job',
      extraClaims: { scp: 'user_impersonation', idtyp: 'user', roles: undefined },
    });
    const claims = decodeJwt(token);
    expect(claims).toMatchObject({ name: 'rotation-job', scp: 'user_impersonation', idtyp: 'user' });
    expect(claims).not.toHaveProperty('roles');
  });

  it('takes iat, nbf and exp from the injected clock and the options', async () => {
    const now = new Date('2030-01-02T03:04:05.678Z');
    const clocked = await startIssuer({ clock: new TestClock(now) });
    const nowSeconds = Math.floor(now.getTime() / 1000);

    expect(decodeJwt(await clocked.mintToken({ roles: ROLES, audience: AUDIENCE, lifetimeSeconds: 600 }))).toMatchObject({
      iat: nowSeconds,
      nbf: nowSeconds,
      exp: nowSeconds + 600,
    });
    const issuedAt = new Date('2030-01-01T00:00:00Z');
    const notBefore = new Date('2030-01-01T00:05:00Z');
    expect(decodeJwt(await clocked.mintToken({ roles: ROLES, audience: AUDIENCE, issuedAt, notBefore }))).toMatchObject({
      iat: issuedAt.getTime() / 1000,
      nbf: notBefore.getTime() / 1000,
      exp: issuedAt.getTime() / 1000 + DEFAULT_TOKEN_LIFETIME_SECONDS,
    });
  });

  it('mints expired and not-yet-valid tokens that jose refuses by their times', async () => {
    const hourMs = 3_600_000;
    const expired = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, issuedAt: new Date(Date.now() - 2 * hourMs) });
    await expect(jwtVerify(expired, remoteJwks(issuer), verifyOptions(issuer))).rejects.toBeInstanceOf(errors.JWTExpired);

    const early = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, notBefore: new Date(Date.now() + hourMs) });
    await expect(jwtVerify(early, remoteJwks(issuer), verifyOptions(issuer))).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'nbf',
    });
  });

  it("signs another tenant's token with a published key, so only the issuer check refuses it", async () => {
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, tenant: OTHER_TENANT });
    expect(decodeJwt(token)).toMatchObject({ iss: `${issuer.url}/${OTHER_TENANT}/v2.0`, tid: OTHER_TENANT });
    await expect(jwtVerify(token, remoteJwks(issuer), { algorithms: ['RS256'] })).resolves.toBeDefined();
    await expect(jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer))).rejects.toMatchObject({
      code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
      claim: 'iss',
    });
  });

  it('refuses a lifetime that is not a positive whole number of seconds', async () => {
    for (const lifetimeSeconds of [0, -60, 1.5]) {
      await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE, lifetimeSeconds })).rejects.toBeInstanceOf(RangeError);
    }
  });

  it("verifies a v2 delegated token with Entra's delegated claims: scp, the user's oid, a pairwise sub, no idtyp", async () => {
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, delegated: true });
    const { payload } = await jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer));
    expect(payload).toEqual({
      aud: AUDIENCE,
      iss: `${issuer.url}/${LOCAL_TENANT_ID}/v2.0`,
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: (payload.iat ?? 0) + DEFAULT_TOKEN_LIFETIME_SECONDS,
      azp: LOCAL_CALLER.appId,
      azpacr: '1',
      oid: LOCAL_USER.oid,
      preferred_username: LOCAL_USER.username,
      roles: ROLES,
      scp: 'access_as_user',
      sub: expect.stringMatching(/^[\w-]{43}$/),
      tid: LOCAL_TENANT_ID,
      uti: expect.any(String),
      ver: '2.0',
    });
  });

  it('verifies a v1 delegated token with Entra v1 delegated claims, and takes the scopes, user and client asked for', async () => {
    const appId = '44444444-4444-4444-4444-444444444444';
    const oid = '88888888-8888-8888-8888-888888888888';
    const options = {
      roles: [],
      audience: AUDIENCE,
      delegated: true,
      appId,
      oid,
      scopes: ['User.Read', 'access_as_user'],
      version: 1 as const,
    };
    const token = await issuer.mintToken({ ...options, username: 'ada@contoso.test' });
    const { payload } = await jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer, 1));
    expect(payload).toEqual({
      aud: AUDIENCE,
      iss: `${issuer.url}/${LOCAL_TENANT_ID}/`,
      iat: expect.any(Number),
      nbf: payload.iat,
      exp: (payload.iat ?? 0) + DEFAULT_TOKEN_LIFETIME_SECONDS,
      acr: '1',
      amr: ['pwd'],
      appid: appId,
      appidacr: '1',
      oid,
      roles: [],
      scp: 'User.Read access_as_user',
      sub: expect.any(String),
      tid: LOCAL_TENANT_ID,
      unique_name: 'ada@contoso.test',
      upn: 'ada@contoso.test',
      uti: expect.any(String),
      ver: '1.0',
    });
    // Pairwise: the same user has another sub under another client, and the same sub again under this one.
    expect(payload.sub).not.toBe(oid);
    expect(decodeJwt(await issuer.mintToken(options)).sub).toBe(payload.sub);
    expect(decodeJwt(await issuer.mintToken({ ...options, appId: LOCAL_CALLER.appId })).sub).not.toBe(payload.sub);
  });

  it('refuses delegated options on an application token, and a delegated token without a scope', async () => {
    await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE, scopes: ['access_as_user'] })).rejects.toThrow(
      'scopes and username apply to delegated tokens only',
    );
    await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE, username: 'ada@contoso.test' })).rejects.toBeInstanceOf(RangeError);
    for (const scopes of [[], [''], ['two words']]) {
      await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE, delegated: true, scopes })).rejects.toThrow(
        'a delegated token needs at least one scope, each without spaces',
      );
    }
  });

  it('cannot mint before it runs, since the issuer contains its URL', async () => {
    await expect(new LocalIssuer().mintToken({ roles: ROLES, audience: AUDIENCE })).rejects.toThrow('issuer emulator is not running');
  });
});

describe('key rotation and removal', () => {
  let issuer: LocalIssuer;
  beforeEach(async () => {
    issuer = await startIssuer();
  });
  afterEach(() => issuer.stop());

  it('keeps old tokens verifying after a rotation, signs new ones with the new kid, and a cached JWKS refetches for it', async () => {
    const jwks = remoteJwks(issuer);
    const oldToken = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
    const oldKid = decodeProtectedHeader(oldToken).kid;
    await jwtVerify(oldToken, jwks, verifyOptions(issuer));
    expect(issuer.calls().Jwks).toBe(1);

    const newKid = await issuer.rotateKey();
    expect(newKid).not.toBe(oldKid);
    const newToken = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
    expect(decodeProtectedHeader(newToken).kid).toBe(newKid);

    await expect(jwtVerify(newToken, jwks, verifyOptions(issuer))).resolves.toBeDefined();
    expect(issuer.calls().Jwks).toBe(2);
    await expect(jwtVerify(oldToken, jwks, verifyOptions(issuer))).resolves.toBeDefined();
    expect(issuer.calls().Jwks).toBe(2);

    const { body } = await getJson(issuer.jwksUri);
    expect((body.keys as JWK[]).map((key) => key.kid)).toEqual([oldKid, newKid]);
  });

  it('signs with an older published key when asked for its kid', async () => {
    const oldKid = decodeProtectedHeader(await issuer.mintToken({ roles: ROLES, audience: AUDIENCE })).kid;
    await issuer.rotateKey();
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE, kid: oldKid });
    expect(decodeProtectedHeader(token).kid).toBe(oldKid);
    await expect(jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer))).resolves.toBeDefined();
  });

  it('keeps the newest key current when rotations overlap', async () => {
    const kids = await Promise.all([issuer.rotateKey(), issuer.rotateKey()]);
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
    expect(decodeProtectedHeader(token).kid).toBe(kids[1]);
    const { body } = await getJson(issuer.jwksUri);
    expect((body.keys as JWK[]).map((key) => key.kid).slice(1)).toEqual(kids);
  });

  it('fails verification with no matching key once the signing key is removed', async () => {
    const token = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
    const kid = decodeProtectedHeader(token).kid ?? '';
    const newKid = await issuer.rotateKey();

    expect(issuer.removeKey(kid)).toBe(true);
    expect(issuer.removeKey(kid)).toBe(false);
    await expect(jwtVerify(token, remoteJwks(issuer), verifyOptions(issuer))).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE, kid })).rejects.toThrow(`publishes no key with kid ${kid}`);

    const { body } = await getJson(issuer.jwksUri);
    expect((body.keys as JWK[]).map((key) => key.kid)).toEqual([newKid]);
  });

  it('refuses to mint once every key is removed', async () => {
    const kid = decodeProtectedHeader(await issuer.mintToken({ roles: ROLES, audience: AUDIENCE })).kid ?? '';
    issuer.removeKey(kid);
    await expect(issuer.mintToken({ roles: ROLES, audience: AUDIENCE })).rejects.toThrow('no signing key left');
    expect((await getJson(issuer.jwksUri)).body).toEqual({ keys: [] });
  });
});

describe('forged tokens', () => {
  let issuer: LocalIssuer;
  let validToken: string;
  beforeAll(async () => {
    issuer = await startIssuer();
    validToken = await issuer.mintToken({ roles: ROLES, audience: AUDIENCE });
  });

  it('starts from a token that verifies', async () => {
    await expect(jwtVerify(validToken, remoteJwks(issuer), verifyOptions(issuer))).resolves.toBeDefined();
  });

  it.each([
    ['alg none', async () => algNoneToken(validToken), errors.JOSEAlgNotAllowed],
    [
      'HS256 keyed with the public key PEM',
      async () => publicKeyHmacToken(validToken, await issuer.publicKeyPem()),
      errors.JOSEAlgNotAllowed,
    ],
    ['a key no JWKS publishes', async () => foreignKeyToken(validToken), errors.JWKSNoMatchingKey],
    [
      "a foreign key under a published key's kid",
      async () => foreignKeyToken(validToken, { kid: decodeProtectedHeader(validToken).kid ?? '' }),
      errors.JWSSignatureVerificationFailed,
    ],
    [
      'a tampered payload',
      async () => tamperedToken(validToken, { roles: [...ROLES, 'Broker.Admin'] }),
      errors.JWSSignatureVerificationFailed,
    ],
  ])('refuses %s with the expected jose error', async (_forgery, forge, expectedError) => {
    const forged = await forge();
    const { iat, exp, uti } = decodeJwt(validToken);
    expect(decodeJwt(forged)).toMatchObject({ iat, exp, uti, iss: issuer.issuer(), aud: AUDIENCE });
    await expect(jwtVerify(forged, remoteJwks(issuer), verifyOptions(issuer))).rejects.toBeInstanceOf(expectedError);
  });

  it('shapes each forgery as its name says', async () => {
    const validHeader = decodeProtectedHeader(validToken);
    expect(decodeProtectedHeader(algNoneToken(validToken))).toEqual({ alg: 'none' });
    expect(algNoneToken(validToken).endsWith('.')).toBe(true);
    expect(decodeProtectedHeader(await publicKeyHmacToken(validToken, await issuer.publicKeyPem()))).toEqual({
      alg: 'HS256',
      typ: 'JWT',
      kid: validHeader.kid,
    });
    const foreignKid = decodeProtectedHeader(await foreignKeyToken(validToken)).kid;
    expect(foreignKid).toEqual(expect.any(String));
    expect(foreignKid).not.toBe(validHeader.kid);
    const tampered = tamperedToken(validToken, { roles: ['Broker.Admin'] });
    expect(tampered.split('.')[2]).toBe(validToken.split('.')[2]);
    expect(decodeJwt(tampered).roles).toEqual(['Broker.Admin']);
  });

  it('still refuses the algorithm forgeries when a verifier forgets the algorithms allow-list', async () => {
    const withoutAllowList = { issuer: issuer.issuer(), audience: AUDIENCE };
    await expect(jwtVerify(algNoneToken(validToken), remoteJwks(issuer), withoutAllowList)).rejects.toBeInstanceOf(errors.JOSENotSupported);
    const hmacForgery = await publicKeyHmacToken(validToken, await issuer.publicKeyPem());
    // A JWKS resolves asymmetric keys only, so jose refuses an HMAC algorithm before any key lookup.
    await expect(jwtVerify(hmacForgery, remoteJwks(issuer), withoutAllowList)).rejects.toBeInstanceOf(errors.JOSENotSupported);
  });
});
