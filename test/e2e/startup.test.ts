import { startLocalBroker, useLocalBroker } from '../support/localBroker';
import { connects, freePort } from '../support/sockets';
import { fetchWithin } from './support/http';

/** The local host as `npm start` runs it once built: `node dist/local/start.js`, here with PORT=0. */
const broker = useLocalBroker();

const ROUTES = [
  ['GET', '/api/health'],
  ['POST', '/api/apim/{service}/sso-token'],
  ['POST', '/api/apim/{service}/gateways/{gatewayId}/token'],
  ['GET', '/api/apim/{service}/authorization-servers/{authsid}'],
  ['GET', '/api/licensespring/sso-url'],
  ['GET', '/_local/upstream-calls'],
  ['GET', '/_local/clock'],
  ['POST', '/_local/clock'],
  ['POST', '/_local/faults'],
  ['DELETE', '/_local/faults'],
  ['POST', '/_local/timers'],
  ['GET', '/_local/gateways'],
] as const;

/** The operation names of UPSTREAMS.md, in the order the emulators list them. */
const ARM_OPERATIONS = [
  'Gateway_GenerateToken',
  'ApiManagementService_GetSsoToken',
  'AuthorizationServer_Get',
  'Gateway_ListKeys',
  'Gateway_RegenerateKey',
  'Gateway_Configuration',
];
const KEY_VAULT_OPERATIONS = [
  'SetSecret',
  'GetSecret',
  'GetSecretVersions',
  'GetSecrets',
  'UpdateSecret',
  'DeleteSecret',
  'GetDeletedSecret',
  'PurgeDeletedSecret',
];
const ISSUER_OPERATIONS = ['OpenIdConfiguration', 'Jwks'];
/** Blob operations, named by the Blob storage REST specification's operationIds, counted by the proxy in front of Azurite. */
const STORAGE_OPERATIONS = [
  'Container_Create',
  'Container_GetProperties',
  'Container_Delete',
  'Container_ListBlobFlatSegment',
  'BlockBlob_Upload',
  'Blob_Download',
  'Blob_GetProperties',
  'Blob_Delete',
  'Blob_AcquireLease',
  'Blob_RenewLease',
  'Blob_ReleaseLease',
  'Blob_BreakLease',
  'Blob_ChangeLease',
];
const LOCAL_TENANT_ID = '11111111-1111-1111-1111-111111111111';

/** `METHOD url` pairs of the banner's route lines (`  GET,POST http://...`). */
function bannerRoutes(stdout: string): Set<string> {
  const pairs = new Set<string>();
  for (const match of stdout.matchAll(/^\s+([A-Z]+(?:,[A-Z]+)*) (http:\/\/\S+)/gm)) {
    for (const method of (match[1] ?? '').split(',')) pairs.add(`${method} ${match[2]}`);
  }
  return pairs;
}

describe('node dist/local/start.js (what npm start runs after building)', () => {
  it('answers GET /api/health with 200 {"status":"ok"}, no-store and a request id', async () => {
    const response = await fetchWithin(`${broker().api}/health`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('echoes a caller x-request-id on /api/health', async () => {
    const response = await fetchWithin(`${broker().api}/health`, { headers: { 'x-request-id': 'startup-health-1' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-request-id')).toBe('startup-health-1');
    await response.arrayBuffer();
  });

  it('listens on the ephemeral port PORT=0 chose, on 127.0.0.1', () => {
    const { url, port } = broker();
    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(7071);
  });

  it('prints every route and the five emulators (arm, licensespring, keyvault, issuer, storage) before the Ready line', async () => {
    const { url, port } = broker();
    const stdout = broker().stdout();
    const banner = stdout.slice(0, stdout.indexOf(`Ready on ${url}`));
    const printed = bannerRoutes(banner);
    for (const [method, route] of ROUTES) expect(printed).toContain(`${method} ${url}${route}`);

    const emulators = [
      ...banner.matchAll(/^ {2}(\w+) +(https:\/\/127\.0\.0\.1:(\d+))(?: \(tenant ([0-9a-f-]{36})\)| \(Azurite, pid \d+\))?$/gm),
    ].map((match) => ({
      name: match[1],
      port: Number(match[3]),
      tenant: match[4],
    }));
    expect(emulators.map(({ name }) => name)).toEqual(['arm', 'licensespring', 'keyvault', 'issuer', 'storage']);
    expect(emulators.find(({ name }) => name === 'issuer')?.tenant).toBe(LOCAL_TENANT_ID);
    const ports = emulators.map((emulator) => emulator.port);
    for (const emulatorPort of ports) {
      expect(emulatorPort).toBeGreaterThan(0);
      expect(emulatorPort).not.toBe(port);
      expect(await connects(emulatorPort)).toBe(true);
    }
    expect(new Set(ports).size).toBe(5);
  });

  it('starts with every emulator operation at 0, and /api/health leaves the counts byte-identical', async () => {
    const before = await broker().upstreamCallsText();
    const zeroes = (operations: readonly string[]) => Object.fromEntries(operations.map((operation) => [operation, 0]));
    expect(JSON.parse(before)).toEqual({
      arm: zeroes(ARM_OPERATIONS),
      licensespring: zeroes(['SsoUrl']),
      keyvault: zeroes(KEY_VAULT_OPERATIONS),
      issuer: zeroes(ISSUER_OPERATIONS),
      storage: zeroes(STORAGE_OPERATIONS),
    });
    expect(Object.keys(JSON.parse(before))).toEqual(['arm', 'licensespring', 'keyvault', 'issuer', 'storage']);

    for (let i = 0; i < 3; i += 1) {
      const health = await fetchWithin(`${broker().api}/health`);
      expect(health.status).toBe(200);
      await health.arrayBuffer();
    }
    expect(await broker().upstreamCallsText()).toBe(before);
  });

  it('serves /_local/upstream-calls as no-store JSON', async () => {
    const response = await fetchWithin(`${broker().url}/_local/upstream-calls`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    await response.arrayBuffer();
  });

  it('uses a fixed port given in PORT, and stops on SIGTERM with exit code 0', async () => {
    const port = await freePort();
    const fixed = await startLocalBroker({ port: String(port) });
    try {
      expect(fixed.url).toBe(`http://127.0.0.1:${port}`);
      expect(fixed.stdout()).toContain(`Ready on http://127.0.0.1:${port}`);
      const health = await fetchWithin(`http://127.0.0.1:${port}/api/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      const exit = await fixed.stop();
      expect(exit).toEqual({ code: 0, signal: null });
    }
    expect(fixed.stdout()).toContain('SIGTERM: stopping');
    expect(await connects(port)).toBe(false);
    // Azurite, its child process, was stopped by its PID before it exited.
    const azuritePid = Number(/\(Azurite, pid (\d+)\)/.exec(fixed.stdout())?.[1]);
    expect(azuritePid).toBeGreaterThan(0);
    expect(() => process.kill(azuritePid, 0)).toThrow();
  });
});
