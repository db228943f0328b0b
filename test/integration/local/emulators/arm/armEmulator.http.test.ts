import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ArmEmulator, type ArmEmulatorOptions } from '../../../../../local/emulators/arm/armEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { TestClock } from '../../../../support/testClock';
import { armHttp, DAY_MS, errorOf, type RawRequest, readApimVector, SERVICE, SERVICE_PATH } from './armTestSupport';

/** What the official client will not send (or not let a test see): raw HTTPS against the emulator. */
describe('ArmEmulator over raw HTTPS', () => {
  const clock = new TestClock(new Date('2026-01-10T12:00:00Z'));
  const emulators: ArmEmulator[] = [];
  let tls: LocalTlsMaterial;

  beforeAll(async () => {
    tls = await createLocalTls();
  });
  afterAll(() => Promise.all(emulators.map((emulator) => emulator.stop())));

  async function started(
    options: ArmEmulatorOptions = {},
  ): Promise<{ emulator: ArmEmulator; send: (request: RawRequest) => ReturnType<typeof armHttp> }> {
    const emulator = new ArmEmulator({ clock, ...options });
    emulators.push(emulator);
    await emulator.start(tls);
    return { emulator, send: (request) => armHttp(emulator, tls, request) };
  }

  const generateToken = (query = 'api-version=2024-05-01', servicePath = SERVICE_PATH) =>
    `${servicePath}/gateways/gw1/generateToken?${query}`;
  const inDays = (days: number) => new Date(clock.now().getTime() + days * DAY_MS).toISOString();

  it('requires the api-version query parameter, and counts the rejected call', async () => {
    const { emulator, send } = await started();
    const response = await send({ path: generateToken(''), body: { keyType: 'primary', expiry: inDays(1) } });
    expect(response.status).toBe(400);
    expect(errorOf(response)).toEqual({
      code: 'MissingApiVersionParameter',
      message: 'The api-version query parameter (?api-version=) is required for all requests.',
    });
    expect(response.headers['x-ms-request-id']).toBeDefined();
    expect(emulator.calls().Gateway_GenerateToken).toBe(1);
  });

  it('refuses an unknown api-version and reads a percent-encoded query key', async () => {
    const { send } = await started();
    const unknown = await send({ path: `${SERVICE_PATH}/getssotoken?api-version=2099-01-01` });
    expect(unknown.status).toBe(400);
    expect(errorOf(unknown).code).toBe('InvalidApiVersionParameter');

    for (const version of ['2021-08-01', '2023-05-01-preview', '2023-09-01-preview', '2024-06-01-preview']) {
      expect((await send({ path: `${SERVICE_PATH}/getssotoken?api%2Dversion=${version}` })).status).toBe(200);
    }
  });

  it('answers a missing bearer token with ARM’s 401 challenge, and an unverified one too', async () => {
    const { emulator, send } = await started({ verifyBearer: (token) => token === 'trusted' });
    const missing = await send({ path: `${SERVICE_PATH}/getssotoken?api-version=2024-05-01`, authorization: null });
    expect(missing.status).toBe(401);
    expect(errorOf(missing).code).toBe('AuthenticationFailed');
    expect(missing.headers['www-authenticate']).toMatch(
      /^Bearer authorization_uri="https:\/\/login\.microsoftonline\.com\/common", error="invalid_token", error_description="/,
    );

    const untrusted = await send({ path: `${SERVICE_PATH}/getssotoken?api-version=2024-05-01`, authorization: 'Bearer stranger' });
    expect(untrusted.status).toBe(401);
    expect(errorOf(untrusted).code).toBe('InvalidAuthenticationToken');

    const trusted = await send({ path: `${SERVICE_PATH}/getssotoken?api-version=2024-05-01`, authorization: 'Bearer trusted' });
    expect(trusted.status).toBe(200);
    expect(emulator.calls().ApiManagementService_GetSsoToken).toBe(3);
  });

  it('requires a UUID subscription from api-version 2024-05-01 on, not before', async () => {
    const { send } = await started();
    const subidPath = SERVICE_PATH.replace('00000000-0000-0000-0000-000000000000', 'subid');
    const current = await send({ path: `${subidPath}/getssotoken?api-version=2024-05-01` });
    expect(current.status).toBe(400);
    expect(errorOf(current)).toMatchObject({ code: 'ValidationError', details: [{ target: 'subscriptionId' }] });

    const older = await send({ path: `${subidPath}/getssotoken?api-version=2022-08-01` });
    expect(older.status).toBe(404);
    expect(errorOf(older).code).toBe('SubscriptionNotFound');
  });

  it('checks the other path parameters against the specification', async () => {
    const { send } = await started();
    const targets = async (path: string) => {
      const isGet = path.includes('/authorizationServers/');
      const response = await send(isGet ? { method: 'GET', path } : { path, body: { keyType: 'primary' } });
      expect(response.status).toBe(400);
      return errorOf(response).details?.map((detail) => detail.target);
    };
    const longGroup = 'g'.repeat(91);
    expect(await targets(`${SERVICE_PATH.replace('/rg1/', `/${longGroup}/`)}/getssotoken?api-version=2024-05-01`)).toEqual([
      'resourceGroupName',
    ]);
    expect(await targets(`${SERVICE_PATH.replace(SERVICE, 'apim-')}/getssotoken?api-version=2024-05-01`)).toEqual(['serviceName']);
    expect(await targets(`${SERVICE_PATH}/gateways/${'g'.repeat(81)}/regenerateKey?api-version=2024-05-01`)).toEqual(['gatewayId']);
    expect(await targets(`${SERVICE_PATH}/gateways/MANAGED/listKeys?api-version=2024-05-01`)).toEqual(['gatewayId']);
    expect(await targets(`${SERVICE_PATH}/authorizationServers/a%2Bb?api-version=2024-05-01`)).toEqual(['authsid']);
  });

  it('matches path literals case-insensitively, as ARM does', async () => {
    const { send } = await started();
    const path = SERVICE_PATH.replace('resourceGroups', 'RESOURCEGROUPS').replace('Microsoft.ApiManagement', 'microsoft.apimanagement');
    expect((await send({ path: `${path}/GATEWAYS/gw1/LISTKEYS?api-version=2024-05-01` })).status).toBe(200);
  });

  it('accepts the official example’s seven fractional digits and UTC offsets, up to exactly 30 days ahead', async () => {
    const { emulator, send } = await started();
    const accepted = ['2026-01-11T00:44:24.2845269Z', '2026-01-11T10:00:00+02:00', '2026-01-11T10:00:00-05:30', inDays(30)];
    for (const expiry of accepted) {
      const response = await send({ path: generateToken(), body: { keyType: 'primary', expiry } });
      expect({ expiry, status: response.status }).toEqual({ expiry, status: 200 });
    }
    const offsetToken = await send({ path: generateToken(), body: { keyType: 'primary', expiry: '2026-01-11T10:00:00-05:30' } });
    expect((JSON.parse(offsetToken.text) as { value: string }).value).toMatch(/^gw1&202601111530&/);

    const refused = [
      '2026-01-11',
      '2026-01-11T00:44:24.12345678Z',
      '2026-02-30T00:00:00Z',
      '2026-01-11T00:44:24',
      new Date(clock.now().getTime() + 30 * DAY_MS + 1000).toISOString(),
    ];
    for (const expiry of refused) {
      const response = await send({ path: generateToken(), body: { keyType: 'primary', expiry } });
      expect({ expiry, status: response.status, targets: errorOf(response).details?.map((d) => d.target) }).toEqual({
        expiry,
        status: 400,
        targets: ['expiry'],
      });
    }
    expect(emulator.calls().Gateway_GenerateToken).toBe(accepted.length + 1 + refused.length);
  });

  it('names every missing or invalid body field, and refuses bodies that are not JSON objects', async () => {
    const { send } = await started();
    const empty = await send({ path: generateToken() });
    expect(errorOf(empty).details?.map((detail) => detail.target)).toEqual(['keyType', 'expiry']);
    const badKey = await send({ path: `${SERVICE_PATH}/gateways/gw1/regenerateKey?api-version=2024-05-01`, body: { keyType: 'tertiary' } });
    expect(errorOf(badKey)).toMatchObject({ code: 'ValidationError', details: [{ target: 'keyType' }] });

    const notJson = await send({ path: generateToken(), body: '{"keyType": ', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(errorOf(notJson).code).toBe('InvalidRequestContent');
    const array = await send({ path: generateToken(), body: [] });
    expect(errorOf(array).code).toBe('InvalidRequestContent');
    const text = await send({ path: generateToken(), body: 'keyType=primary', headers: { 'content-type': 'text/plain' } });
    expect(text.status).toBe(415);
    expect(errorOf(text).code).toBe('UnsupportedMediaType');
  });

  it('lets a token expire by the emulator’s clock and die when its key is regenerated', async () => {
    const { send, emulator } = await started();
    const minted = await send({ path: generateToken(), body: { keyType: 'primary', expiry: inDays(2) } });
    const { value } = JSON.parse(minted.text) as { value: string };
    expect(emulator.isTokenValid(SERVICE, 'GW1', value)).toBe(true);
    expect(emulator.isTokenValid(SERVICE, 'gw1', value.replace(/&[^&]+$/, '&AAAA'))).toBe(false);

    clock.advance(2 * DAY_MS);
    expect(emulator.isTokenValid(SERVICE, 'gw1', value)).toBe(false);
    clock.advance(-2 * DAY_MS);

    const regenerated = await send({
      path: `${SERVICE_PATH}/gateways/gw1/regenerateKey?api-version=2024-05-01`,
      body: { keyType: 'primary' },
    });
    expect(regenerated.status).toBe(204);
    expect(regenerated.text).toBe('');
    expect(emulator.isTokenValid(SERVICE, 'gw1', value)).toBe(false);
  });

  it('keeps its gateway keys in gatewayKeysFile (creating its folder), so another emulator accepts the tokens it signed', async () => {
    const gatewayKeysFile = path.join(mkdtempSync(path.join(tmpdir(), 'arm-keys-')), 'missing', 'keys.json');
    const { send } = await started({ gatewayKeysFile });
    const { value } = JSON.parse((await send({ path: generateToken(), body: { keyType: 'secondary', expiry: inDays(2) } })).text) as {
      value: string;
    };
    expect(new ArmEmulator({ clock, gatewayKeysFile }).isTokenValid(SERVICE, 'gw1', value)).toBe(true);
    expect(new ArmEmulator({ clock }).isTokenValid(SERVICE, 'gw1', value)).toBe(false);

    const regenerated = await send({
      path: `${SERVICE_PATH}/gateways/gw1/regenerateKey?api-version=2024-05-01`,
      body: { keyType: 'secondary' },
    });
    expect(regenerated.status).toBe(204);
    expect(new ArmEmulator({ clock, gatewayKeysFile }).isTokenValid(SERVICE, 'gw1', value)).toBe(false);
  });

  it('serves the official examples verbatim when asked to', async () => {
    const { send } = await started({ officialExamples: true });
    const sso = await send({ path: `${SERVICE_PATH}/getssotoken?api-version=2024-05-01` });
    expect(JSON.parse(sso.text)).toEqual(readApimVector('2024-05-01_ApiManagementServiceGetSsoToken.json').responses['200']?.body);
    const token = await send({ path: generateToken(), body: { keyType: 'primary', expiry: inDays(1) } });
    expect(JSON.parse(token.text)).toEqual(readApimVector('2024-05-01_ApiManagementGatewayGenerateToken.json').responses['200']?.body);
    const keys = await send({ path: `${SERVICE_PATH}/gateways/gw1/listKeys?api-version=2024-05-01` });
    expect(JSON.parse(keys.text)).toEqual(readApimVector('2024-05-01_ApiManagementGatewayListKeys.json').responses['200']?.body);
    const server = await send({ method: 'GET', path: `${SERVICE_PATH}/authorizationServers/newauthServer2?api-version=2024-05-01` });
    expect(JSON.parse(server.text)).toEqual(readApimVector('2024-05-01_ApiManagementGetAuthorizationServer.json').responses['200']?.body);
  });

  it('injects a 503 with Retry-After, counted like any call', async () => {
    const { emulator, send } = await started();
    emulator.inject('Gateway_GenerateToken', { status: 503, retryAfterSeconds: 7, times: 2 });
    const body = { keyType: 'primary', expiry: inDays(1) };
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const response = await send({ path: generateToken(), body });
      expect(response.status).toBe(503);
      expect(response.headers['retry-after']).toBe('7');
      expect(errorOf(response).code).toBeDefined();
    }
    expect((await send({ path: generateToken(), body })).status).toBe(200);
    expect(emulator.calls()).toEqual({
      Gateway_GenerateToken: 3,
      ApiManagementService_GetSsoToken: 0,
      AuthorizationServer_Get: 0,
      Gateway_ListKeys: 0,
      Gateway_RegenerateKey: 0,
      Gateway_Configuration: 0,
    });
  });

  it('throttles per principal once the subscription’s write budget is spent', async () => {
    const { send } = await started({ throttling: { writes: { capacity: 2, refillPerSecond: 0.1 } } });
    const path = `${SERVICE_PATH}/getssotoken?api-version=2024-05-01`;
    expect((await send({ path })).headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('1');
    expect((await send({ path })).headers['x-ms-ratelimit-remaining-subscription-writes']).toBe('0');
    const throttled = await send({ path });
    expect(throttled.status).toBe(429);
    expect(errorOf(throttled).code).toBe('SubscriptionRequestsThrottled');
    expect(Number(throttled.headers['retry-after'])).toBeGreaterThanOrEqual(9);
    expect((await send({ path, authorization: 'Bearer another-principal' })).status).toBe(200);
    expect((await send({ method: 'GET', path: `${SERVICE_PATH}/authorizationServers/newauthServer2?api-version=2024-05-01` })).status).toBe(
      200,
    );
  });
});
