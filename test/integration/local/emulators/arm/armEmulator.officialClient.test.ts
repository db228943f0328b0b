import type { PipelineResponse } from '@azure/core-rest-pipeline';
import { ARM_OPERATIONS, ArmEmulator, GATEWAY_CONFIGURATION } from '../../../../../local/emulators/arm/armEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { DAY_MS, officialClient, RESOURCE_GROUP, readApimVector, SERVICE, SUBSCRIPTION_ID } from './armTestSupport';

/** The emulator as `@azure/arm-apimanagement` (api-version 2024-05-01 unless set) sees it. */
describe('ArmEmulator driven by the official @azure/arm-apimanagement client', () => {
  let tls: LocalTlsMaterial;
  const emulator = new ArmEmulator();

  beforeAll(async () => {
    tls = await createLocalTls();
    await emulator.start(tls);
  });
  afterAll(() => emulator.stop());
  afterEach(() => emulator.clearFaults());

  const client = () => officialClient(emulator, tls);
  const inAFewDays = () => new Date(Date.now() + 3 * DAY_MS);

  it('lists every operation with 0 calls before any request', () => {
    const fresh = new ArmEmulator();
    expect(fresh.calls()).toEqual(Object.fromEntries([...ARM_OPERATIONS, GATEWAY_CONFIGURATION].map((operation) => [operation, 0])));
  });

  it('counts each call of the official client under its operationId from the REST specification, and only there', async () => {
    const expiry = inAFewDays();
    const calls: [string, () => Promise<unknown>][] = [
      ['ApiManagementService_GetSsoToken', () => client().apiManagementService.getSsoToken(RESOURCE_GROUP, SERVICE)],
      ['Gateway_GenerateToken', () => client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'primary', expiry })],
      ['Gateway_ListKeys', () => client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw1')],
      ['Gateway_RegenerateKey', () => client().gateway.regenerateKey(RESOURCE_GROUP, SERVICE, 'gw2', { keyType: 'secondary' })],
      ['AuthorizationServer_Get', () => client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2')],
    ];
    for (const [operationId, send] of calls) {
      const before = emulator.calls();
      await send();
      expect(emulator.calls()).toEqual({ ...before, [operationId]: before[operationId as keyof typeof before] + 1 });
    }
    expect(calls.map(([operationId]) => operationId).sort()).toEqual([...ARM_OPERATIONS].sort());
  });

  it('answers getSsoToken with a fresh portal redirect each call', async () => {
    const first = await client().apiManagementService.getSsoToken(RESOURCE_GROUP, SERVICE);
    const second = await client().apiManagementService.getSsoToken(RESOURCE_GROUP, SERVICE);
    const redirect = new URL(first.redirectUri ?? '');
    expect(redirect.origin).toBe(`https://${SERVICE.toLowerCase()}.portal.azure-api.net`);
    expect(first.redirectUri).toMatch(/^https:\/\/apimService1\.portal\.azure-api\.net:443\/signin-sso\?token=1%26\d{12}%26/);
    expect(redirect.searchParams.get('token')).toMatch(/^1&\d{12}&[A-Za-z0-9+/]+=*$/);
    expect(second.redirectUri).not.toBe(first.redirectUri);
  });

  it('mints gateway tokens with the chosen key, accepting the millisecond expiry the client sends', async () => {
    const expiry = inAFewDays();
    const { value } = await client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'secondary', expiry });
    const stamp = expiry.toISOString().slice(0, 16).replace(/[-T:]/g, '');
    expect(value).toMatch(new RegExp(`^gw1&${stamp}&[A-Za-z0-9+/]{86}==$`));
    expect(emulator.isTokenValid(SERVICE, 'gw1', value ?? '')).toBe(true);
    expect(emulator.isTokenValid(SERVICE, 'gw2', value ?? '')).toBe(false);
  });

  it('also serves api-version 2022-08-01, the version of the older examples', async () => {
    const seen: string[] = [];
    const olderClient = officialClient(emulator, tls, { apiVersion: '2022-08-01' });
    const { value } = await olderClient.gateway.generateToken(
      RESOURCE_GROUP,
      SERVICE,
      'gw2',
      { keyType: 'primary', expiry: inAFewDays() },
      { onResponse: (response) => seen.push(response.request.url) },
    );
    expect(seen[0]).toContain('api-version=2022-08-01');
    expect(emulator.isTokenValid(SERVICE, 'gw2', value ?? '')).toBe(true);
  });

  it('lists both keys with an ETag, and regenerating one invalidates only the tokens it signed', async () => {
    const before = await client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw1');
    expect(before.primary).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(before.secondary).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(before.eTag).toMatch(/^"[0-9a-f]{16}"$/);

    const expiry = inAFewDays();
    const primaryToken = (await client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'primary', expiry })).value ?? '';
    const secondaryToken =
      (await client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'secondary', expiry })).value ?? '';

    let status: number | undefined;
    await client().gateway.regenerateKey(
      RESOURCE_GROUP,
      SERVICE,
      'gw1',
      { keyType: 'primary' },
      { onResponse: (response) => (status = response.status) },
    );
    expect(status).toBe(204);

    const after = await client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw1');
    expect(after.primary).not.toBe(before.primary);
    expect(after.secondary).toBe(before.secondary);
    expect(after.eTag).not.toBe(before.eTag);
    expect(emulator.isTokenValid(SERVICE, 'gw1', primaryToken)).toBe(false);
    expect(emulator.isTokenValid(SERVICE, 'gw1', secondaryToken)).toBe(true);
  });

  it('returns the official authorization server example with a stable ETag', async () => {
    const first = await client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2');
    const second = await client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2');
    const example = readApimVector('2024-05-01_ApiManagementGetAuthorizationServer.json').responses['200']?.body as {
      id: string;
      properties: Record<string, unknown>;
    };
    expect(first.id).toBe(example.id);
    expect(first.name).toBe('newauthServer2');
    expect(first.type).toBe('Microsoft.ApiManagement/service/authorizationServers');
    expect(first.displayName).toBe(example.properties.displayName);
    expect(first.resourceOwnerPassword).toBe('pwd');
    expect(first.eTag).toMatch(/^"[0-9a-f]{16}"$/);
    expect(second.eTag).toBe(first.eTag);
  });

  it('sends ARM tracing and rate-limit headers, echoing the client request id', async () => {
    const responses: PipelineResponse[] = [];
    await client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw2', { onResponse: (response) => responses.push(response) });
    await client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2', {
      onResponse: (response) => responses.push(response),
    });
    const [post, get] = responses as [PipelineResponse, PipelineResponse];
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    expect(post.headers.get('x-ms-request-id')).toMatch(uuid);
    expect(post.headers.get('x-ms-correlation-request-id')).toMatch(uuid);
    expect(post.headers.get('x-ms-routing-request-id')).toMatch(/^LOCAL:\d{8}T\d{6}Z:[0-9a-f-]{36}$/);
    expect(post.headers.get('x-ms-client-request-id')).toBe(post.request.headers.get('x-ms-client-request-id'));
    expect(Number(post.headers.get('x-ms-ratelimit-remaining-subscription-writes'))).toBeGreaterThan(0);
    expect(post.headers.get('x-ms-ratelimit-remaining-subscription-reads')).toBeUndefined();
    expect(Number(get.headers.get('x-ms-ratelimit-remaining-subscription-reads'))).toBeGreaterThan(0);
  });

  describe('rejections the client surfaces as RestError', () => {
    const expectRestError = async (call: Promise<unknown>, statusCode: number, code: string) => {
      const error = await call.then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toMatchObject({ name: 'RestError', statusCode, code });
      return error as { message: string; response?: { bodyAsText?: string } };
    };
    const validationTargets = (error: { response?: { bodyAsText?: string } }) =>
      (JSON.parse(error.response?.bodyAsText ?? '{}') as { error: { details: { target: string }[] } }).error.details.map(
        (detail) => detail.target,
      );

    it('refuses an expiry more than 30 days ahead', async () => {
      const expiry = new Date(Date.now() + 30 * DAY_MS + 60_000);
      const error = await expectRestError(
        client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'primary', expiry }),
        400,
        'ValidationError',
      );
      expect(validationTargets(error)).toEqual(['expiry']);
    });

    it('refuses an expiry in the past', async () => {
      const expiry = new Date(Date.now() - 60_000);
      const error = await expectRestError(
        client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'primary', expiry }),
        400,
        'ValidationError',
      );
      expect(validationTargets(error)).toEqual(['expiry']);
    });

    it("refuses the reserved gateway id 'managed' in any case", async () => {
      const error = await expectRestError(
        client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'Managed', { keyType: 'primary', expiry: inAFewDays() }),
        400,
        'ValidationError',
      );
      expect(validationTargets(error)).toEqual(['gatewayId']);
    });

    it('answers 404 for an unknown gateway, authorization server or service', async () => {
      await expectRestError(client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw9'), 404, 'ResourceNotFound');
      await expectRestError(client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'nope'), 404, 'ResourceNotFound');
      await expectRestError(client().apiManagementService.getSsoToken(RESOURCE_GROUP, 'otherService'), 404, 'ResourceNotFound');
      await expectRestError(client().apiManagementService.getSsoToken('rg2', SERVICE), 404, 'ResourceGroupNotFound');
    });

    it('passes an injected AuthorizationFailed through as ARM words it', async () => {
      const principal = '11111111-2222-3333-4444-555555555555';
      emulator.inject(
        'Gateway_GenerateToken',
        emulator.authorizationFailedFault('Gateway_GenerateToken', principal, { service: SERVICE, resourceName: 'gw1' }),
      );
      const error = await expectRestError(
        client().gateway.generateToken(RESOURCE_GROUP, SERVICE, 'gw1', { keyType: 'primary', expiry: inAFewDays() }),
        403,
        'AuthorizationFailed',
      );
      expect(error.message).toBe(
        `The client '${principal}' with object id '${principal}' does not have authorization to perform action ` +
          "'Microsoft.ApiManagement/service/gateways/generateToken/action' over scope " +
          `'/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/${SERVICE}/gateways/gw1' ` +
          'or the scope is invalid. If access was recently granted, please refresh your credentials.',
      );
    });

    it('fails to parse an injected malformed body', async () => {
      emulator.inject('Gateway_ListKeys', { malformedBody: true });
      await expect(client().gateway.listKeys(RESOURCE_GROUP, SERVICE, 'gw1')).rejects.toMatchObject({
        name: 'RestError',
        code: 'PARSE_ERROR',
      });
    });

    it('holds a response for an injected delay, which a client timeout cuts short', async () => {
      emulator.inject('AuthorizationServer_Get', { delayMs: 300 });
      const startedAt = Date.now();
      await client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2');
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);

      emulator.inject('AuthorizationServer_Get', { delayMs: 500 });
      await expect(
        client().authorizationServer.get(RESOURCE_GROUP, SERVICE, 'newauthServer2', { abortSignal: AbortSignal.timeout(100) }),
      ).rejects.toMatchObject({ name: 'AbortError' });
    });
  });
});
