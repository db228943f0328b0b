import net from 'node:net';
import { startLocalBroker, useLocalBroker } from '../support/localBroker';
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
] as const;

const ARM_OPERATIONS = [
  'Gateway_GenerateToken',
  'ApiManagementService_GetSsoToken',
  'AuthorizationServer_Get',
  'Gateway_ListKeys',
  'Gateway_RegenerateKey',
];

/** `METHOD url` pairs of the banner's route lines (`  GET,POST http://...`). */
function bannerRoutes(stdout: string): Set<string> {
  const pairs = new Set<string>();
  for (const match of stdout.matchAll(/^\s+([A-Z]+(?:,[A-Z]+)*) (http:\/\/\S+)/gm)) {
    for (const method of (match[1] ?? '').split(',')) pairs.add(`${method} ${match[2]}`);
  }
  return pairs;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port, timeout: 2_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
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

  it('prints every route and the emulator URLs before the Ready line', () => {
    const { url, port } = broker();
    const stdout = broker().stdout();
    const banner = stdout.slice(0, stdout.indexOf(`Ready on ${url}`));
    const printed = bannerRoutes(banner);
    for (const [method, route] of ROUTES) expect(printed).toContain(`${method} ${url}${route}`);

    const emulators = Object.fromEntries(
      [...banner.matchAll(/^\s+(arm|licensespring)\s+(https:\/\/127\.0\.0\.1:(\d+))\s*$/gm)].map((match) => [match[1], Number(match[3])]),
    );
    expect(Object.keys(emulators).sort()).toEqual(['arm', 'licensespring']);
    for (const emulatorPort of Object.values(emulators)) {
      expect(emulatorPort).toBeGreaterThan(0);
      expect(emulatorPort).not.toBe(port);
    }
    expect(emulators.arm).not.toBe(emulators.licensespring);
  });

  it('starts with every emulator operation at 0, and /api/health leaves the counts byte-identical', async () => {
    const before = await broker().upstreamCallsText();
    const calls = JSON.parse(before) as Record<string, Record<string, number>>;
    expect(Object.keys(calls)).toEqual(expect.arrayContaining(['arm', 'licensespring']));
    expect(Object.keys(calls.arm ?? {}).sort()).toEqual([...ARM_OPERATIONS].sort());
    expect(Object.keys(calls.licensespring ?? {})).toEqual(['SsoUrl']);
    for (const [emulator, operations] of Object.entries(calls)) {
      for (const [operation, count] of Object.entries(operations))
        expect({ [`${emulator}.${operation}`]: count }).toEqual({ [`${emulator}.${operation}`]: 0 });
    }

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
  });
});
