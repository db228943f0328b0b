import { KeyVaultEmulator, type KeyVaultEmulatorOptions } from '../../../../../local/emulators/keyvault/keyVaultEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { TestClock } from '../../../../support/testClock';
import { errorOf, keyVaultHttp, type RawRequest, type RawResponse } from './keyVaultTestSupport';

/** What the real SecretClient will not send (or not let a test see): raw HTTPS against the emulator. */
describe('KeyVaultEmulator over raw HTTPS', () => {
  const emulators: KeyVaultEmulator[] = [];
  let tls: LocalTlsMaterial;

  beforeAll(async () => {
    tls = await createLocalTls();
  });
  afterAll(() => Promise.all(emulators.map((emulator) => emulator.stop())));

  async function started(
    options: KeyVaultEmulatorOptions = {},
  ): Promise<{ emulator: KeyVaultEmulator; send: (request: RawRequest) => Promise<RawResponse> }> {
    const emulator = new KeyVaultEmulator(options);
    emulators.push(emulator);
    await emulator.start(tls);
    return { emulator, send: (request) => keyVaultHttp(emulator, tls, request) };
  }

  const API = 'api-version=2025-07-01';

  it("answers a request without a bearer token with Key Vault's challenge naming the tenant, and counts it", async () => {
    const { emulator, send } = await started({ tenantId: 'contoso-tenant' });
    const response = await send({ method: 'PUT', path: `/secrets/first?${API}`, authorization: null });

    expect(response.status).toBe(401);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer authorization="https://login.microsoftonline.com/contoso-tenant", resource="https://vault.azure.net"',
    );
    expect(errorOf(response)).toEqual({ code: 'Unauthorized', message: 'AKV10000: Request is missing a Bearer or PoP token.' });
    expect(emulator.unauthenticatedRequests()).toBe(1);
    expect(emulator.calls().SetSecret).toBe(1);

    emulator.resetCalls();
    expect(emulator.unauthenticatedRequests()).toBe(0);
  });

  it('challenges a token that verifyBearer refuses, without counting it as token-less', async () => {
    const { emulator, send } = await started({ verifyBearer: (token) => token === 'trusted' });
    const refused = await send({ path: `/secrets?${API}`, authorization: 'Bearer stranger' });
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\/[^"]+", resource="https:\/\/vault\.azure\.net"$/,
    );
    expect(emulator.unauthenticatedRequests()).toBe(0);
    expect((await send({ path: `/secrets?${API}`, authorization: 'Bearer trusted' })).status).toBe(200);
  });

  it('puts the request id, service version and region on every answer, errors included', async () => {
    const { send } = await started();
    for (const response of [
      await send({ path: `/secrets?${API}` }),
      await send({ path: `/secrets/missing?${API}` }),
      await send({ path: '/nowhere' }),
    ]) {
      expect(response.headers['x-ms-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(response.headers['x-ms-keyvault-service-version']).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      expect(response.headers['x-ms-keyvault-region']).toBe('local');
    }
  });

  it('requires an api-version, reading the percent-encoded key the client sends, and accepts any version', async () => {
    const { send } = await started();
    const missing = await send({ path: '/secrets' });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('BadParameter');

    for (const query of ['api%2Dversion=2025-07-01', 'api-version=2026-04-01', 'api-version=7.4']) {
      expect((await send({ path: `/secrets?${query}` })).status).toBe(200);
    }
  });

  it('serves the current version with and without a trailing slash, and path literals in any case', async () => {
    const { send } = await started();
    const set = await send({ method: 'PUT', path: `/secrets/Slash?${API}`, body: { value: 'v' } });
    expect(set.status).toBe(200);
    const { id } = set.body as { id: string };

    for (const path of [`/secrets/Slash/?${API}`, `/secrets/slash?${API}`, `/SECRETS/slash/?${API}`]) {
      const got = await send({ path });
      expect(got.status).toBe(200);
      expect(got.body).toMatchObject({ value: 'v', id });
    }
    const versionless = await send({ method: 'PATCH', path: `/secrets/slash/?${API}`, body: { tags: { updated: 'yes' } } });
    expect(versionless.status).toBe(200);
    expect(versionless.body).toMatchObject({ id, tags: { updated: 'yes' } });
    expect(versionless.body).not.toHaveProperty('value');
  });

  it('writes bundles in Key Vault’s wire form, with Unix-second times', async () => {
    const now = new Date('2026-03-01T12:00:00Z');
    const { emulator, send } = await started({ clock: new TestClock(now) });
    const set = await send({
      method: 'PUT',
      path: `/secrets/wire?${API}`,
      body: { value: 'v', contentType: 'text/plain', tags: { a: 'b' }, attributes: { enabled: true, exp: 1772625600 } },
    });
    const seconds = now.getTime() / 1000;
    expect(set.body).toEqual({
      value: 'v',
      id: expect.stringMatching(new RegExp(`^${emulator.url}/secrets/wire/[0-9a-f]{32}$`)),
      contentType: 'text/plain',
      tags: { a: 'b' },
      attributes: {
        enabled: true,
        exp: 1772625600,
        created: seconds,
        updated: seconds,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      },
    });
  });

  it('rejects bodies that are not a secret with 400 BadParameter, after authentication', async () => {
    const { send } = await started();
    for (const body of ['not json', [], {}, { value: 1 }, { value: 'v', attributes: { exp: '2026' } }, { value: 'v', tags: { a: 1 } }]) {
      const response = await send({ method: 'PUT', path: `/secrets/body?${API}`, body });
      expect(response.status).toBe(400);
      expect(errorOf(response).code).toBe('BadParameter');
    }
    expect((await send({ method: 'PUT', path: `/secrets/body?${API}`, authorization: null })).status).toBe(401);
  });

  it('pages listings by maxresults with a nextLink the client can follow, and refuses more than 25 a page', async () => {
    const { emulator, send } = await started();
    for (const name of ['c', 'a', 'b']) await send({ method: 'PUT', path: `/secrets/${name}?${API}`, body: { value: name } });

    const first = (await send({ path: `/secrets?${API}&maxresults=2` })).body as { value: { id: string }[]; nextLink: string | null };
    expect(first.value.map((item) => item.id)).toEqual([`${emulator.url}/secrets/a`, `${emulator.url}/secrets/b`]);
    expect(first.nextLink).toMatch(
      new RegExp(`^${emulator.url}/secrets\\?api-version=2025-07-01&\\$skiptoken=[A-Za-z0-9_-]+&maxresults=2$`),
    );

    const second = (await send({ path: (first.nextLink ?? '').slice(emulator.url.length) })).body as {
      value: { id: string }[];
      nextLink: string | null;
    };
    expect(second).toEqual({ value: [expect.objectContaining({ id: `${emulator.url}/secrets/c` })], nextLink: null });

    expect((await send({ path: `/secrets?${API}&maxresults=26` })).status).toBe(400);
  });

  it('answers a path no operation has with 404', async () => {
    const { send } = await started();
    expect((await send({ path: `/keys/some-key?${API}` })).status).toBe(404);
  });
});
