import https from 'node:https';
import type { Timer } from '@azure/functions';
import { localControlRoutes } from '../../../local/controlRoutes';
import { signGatewayToken } from '../../../local/emulators/arm/apimCredentials';
import { type GatewayFleet, simulatedGateways } from '../../../local/gateways/gatewayFleet';
import { FunctionRegistry } from '../../../local/host/functionRegistry';
import { type LocalHost, startLocalHost } from '../../../local/host/startLocalHost';
import type { LocalEnvironment } from '../../../local/localEnvironment';
import { LocalClock } from '../../../local/time/localClock';
import { buildBroker } from '../../../shared/broker';
import { loadConfig } from '../../../shared/config/loadConfig';
import type { RotationService } from '../../../shared/rotation/rotationService';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { recordingLogger } from '../../support/testClock';

const MINUTE = 60_000;
const DAY = 86_400_000;
const SERVICE_PATH =
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1';

/** Lets every promise chain a request or a clock move released run to its end; no real time passes. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

let clock: LocalClock;
let env: LocalEnvironment;
let rotation: RotationService;
let gateways: GatewayFleet;
let host: LocalHost;
const timerRuns: Timer[] = [];

beforeAll(async () => {
  clock = new LocalClock({ start: new Date('2027-03-01T09:30:00Z'), frozen: true });
  // A budget that lets the rotation wait out a Retry-After of 30 s (on the clock).
  env = await startBrokerEnvironment({ storage: true, clock }, { BROKER_UPSTREAM_BUDGET_MS: '60000' });
  const config = loadConfig(process.env);
  const broker = buildBroker(config, { clock });
  if (!broker.rotation) throw new Error('the local sample configures rotation targets when storage runs');
  rotation = broker.rotation;
  const registry = new FunctionRegistry(() => undefined);
  registry.registerFunction(
    { name: 'rotationTimer', bindings: { timer: { type: 'timerTrigger', direction: 'in', schedule: '0 0 * * * *', runOnStartup: false } } },
    async (timer: Timer) => {
      timerRuns.push(timer);
      await rotation.runAll({ log: recordingLogger() });
    },
  );
  gateways = simulatedGateways(config, env, clock, () => undefined);
  const started = await startLocalHost({
    registrations: registry.registrations(),
    port: 0,
    clock,
    log: () => undefined,
    extraRoutes: localControlRoutes({ environment: env, clock, gateways, log: () => undefined, timers: () => started.timers }),
  });
  host = started;
}, 60_000);

afterAll(async () => {
  gateways?.stop();
  await host?.close();
  await env?.stop();
});

beforeEach(async () => {
  await local('DELETE', '/_local/faults');
  env.resetCalls();
  timerRuns.length = 0;
});

async function local(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(`${host.url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const advance = (duration: string) => local('POST', '/_local/clock', { advance: duration });
const gateway = async (id: string) => ((await local('GET', '/_local/gateways')).body as any[]).find((entry) => entry.gatewayId === id);
const published = async (id: string) => rotation.status(rotation.target('apimService1', id) ?? fail(`no target ${id}`));
function fail(message: string): never {
  throw new Error(message);
}

/** One GET of the gateway configuration endpoint, as a self-hosted gateway calls it. */
function configuration(gatewayId: string, authorization?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${env.arm.url}${SERVICE_PATH}/gateways/${gatewayId}/configuration`,
      { ca: env.tls.cert, headers: authorization ? { authorization } : {} },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    request.on('error', reject);
    request.end();
  });
}

/** A POST to an ARM operation of the emulator, as the broker's identity; the status and the JSON body. */
function armPost(operationPath: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${env.arm.url}${SERVICE_PATH}${operationPath}?api-version=2022-08-01`,
      { method: 'POST', ca: env.tls.cert, headers: { authorization: 'Bearer local', 'content-type': 'application/json' } },
      (response) => {
        let text = '';
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('the shared clock and /_local/clock', () => {
  it('answers {now}, moves forward by an ISO duration or to an instant, and nothing else moves it', async () => {
    const start = clock.now().getTime();
    expect(await local('GET', '/_local/clock')).toEqual({ status: 200, body: { now: new Date(start).toISOString() } });
    await settle();
    expect(clock.now().getTime()).toBe(start);
    expect(await advance('PT30S')).toEqual({ status: 200, body: { now: new Date(start + 30_000).toISOString() } });
    const later = new Date(start + 45 * MINUTE).toISOString().replace('.000Z', 'Z');
    expect((await local('POST', '/_local/clock', { set: later })).body).toEqual({ now: new Date(start + 45 * MINUTE).toISOString() });
  });

  it.each([
    [{ set: '2001-01-01T00:00:00Z' }, 'set', /only moves forward/],
    [{ advance: 'one day' }, 'advance', /not an ISO 8601 duration/],
    [{ set: '2031-01-01' }, 'set', /date-time with a time zone/],
    [{ advance: 'PT1H', set: '2031-01-01T00:00:00Z' }, 'advance', /exactly one/],
    [{}, 'advance', /exactly one/],
    [{ advance: 'PT1H', by: 1 }, 'by', /not a field/],
  ])('refuses %j with a 400 naming %s, and the clock stays', async (body, target, message) => {
    const before = clock.now().toISOString();
    const answer = await local('POST', '/_local/clock', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatchObject({ code: 'InvalidParameter', target });
    expect(answer.body.error.details[0].message).toMatch(message);
    expect(clock.now().toISOString()).toBe(before);
  });

  it('refuses a body that is no JSON, and a method the route has not', async () => {
    expect((await local('POST', '/_local/clock', '{')).body.error.code).toBe('InvalidJson');
    const tooLarge = await local('POST', '/_local/clock', JSON.stringify({ advance: 'PT1S', pad: 'x'.repeat(20_000) }));
    expect(tooLarge).toMatchObject({ status: 413, body: { error: { code: 'PayloadTooLarge' } } });
    const put = await fetch(`${host.url}/_local/clock`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, POST');
    expect(put.headers.get('x-request-id')).toBeTruthy();
    await put.arrayBuffer();
  });

  it('lets the broker wait out a Retry-After of 30 s on the clock: no real time passes, and exactly one retry', async () => {
    const target = rotation.target('apimService1', 'gw1') ?? fail('no gw1');
    const fault = await local('POST', '/_local/faults', {
      emulator: 'arm',
      operation: 'Gateway_GenerateToken',
      status: 429,
      retryAfterSeconds: 30,
    });
    expect(fault.status).toBe(201);
    const sleepsBefore = clock.pendingSleeps;
    const started = Date.now();
    const report = rotation.rotate(target, { force: true, log: recordingLogger() });
    while (clock.pendingSleeps === sleepsBefore) await settle();
    expect(env.arm.calls().Gateway_GenerateToken).toBe(1);
    await advance('PT30S');
    expect((await report).targets[0]?.action).toBe('rotated');
    expect(env.arm.calls().Gateway_GenerateToken).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('/_local/faults', () => {
  it('keeps several faults at once, per operation or for every one ("*"), each for its times or until its end on the clock', async () => {
    const until = new Date(clock.now().getTime() + 10 * MINUTE).toISOString();
    expect(
      (await local('POST', '/_local/faults', { emulator: 'arm', operation: 'Gateway_Configuration', status: 503, times: 2 })).status,
    ).toBe(201);
    expect((await local('POST', '/_local/faults', { emulator: 'arm', operation: '*', status: 500, until })).body).toEqual({
      emulator: 'arm',
      operation: '*',
      status: 500,
      until,
    });
    expect(await configuration('gw1')).toBe(503);
    expect(await configuration('gw1')).toBe(503);
    expect(await configuration('gw1')).toBe(500);
    await advance('PT10M');
    expect(await configuration('gw1')).toBe(401);
    // Four of ours, and gw1's own: the jump let it start with the token the Retry-After test published.
    expect(env.arm.calls().Gateway_Configuration).toBe(5);
    expect(await gateway('gw1')).toMatchObject({ connected: true });
  });

  it('counts and faults the blob operations of the storage proxy in front of Azurite', async () => {
    await local('POST', '/_local/faults', { emulator: 'storage', operation: 'Blob_Download', status: 503, times: 1 });
    const answer = await new Promise<{ status: number; code: string | undefined }>((resolve, reject) => {
      const request = https.request(`${env.storage?.blobServiceUrl}/some-container/some-blob`, { ca: env.tls.cert }, (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, code: response.headers['x-ms-error-code'] as string }));
      });
      request.on('error', reject);
      request.end();
    });
    expect(answer).toEqual({ status: 503, code: 'InjectedFault' });
    expect(env.storage?.calls()).toMatchObject({ Blob_Download: 1, BlockBlob_Upload: 0 });
  });

  it('refuses an unknown emulator, an operation it has not, and a bad status, naming the field; DELETE clears them all', async () => {
    const refused = async (body: unknown) => (await local('POST', '/_local/faults', body)).body.error;
    expect(await refused({ emulator: 'dns', operation: '*', status: 500 })).toMatchObject({ code: 'InvalidParameter', target: 'emulator' });
    expect(await refused({ emulator: 'keyvault', operation: 'Gateway_GenerateToken', status: 500 })).toMatchObject({ target: 'operation' });
    expect(await refused({ emulator: 'arm', operation: '*', status: 200 })).toMatchObject({ target: 'status' });
    expect(await refused({ emulator: 'arm', operation: '*', status: 500, until: 'soon' })).toMatchObject({ target: 'until' });
    await local('POST', '/_local/faults', { emulator: 'keyvault', operation: '*', status: 500, times: 5 });
    expect((await local('DELETE', '/_local/faults')).status).toBe(204);
    expect(await rotation.status(rotation.target('apimService1', 'gw1') ?? fail('no gw1'))).toMatchObject({ gatewayId: 'gw1' });
  });
});

describe('the gateway configuration endpoint (Gateway_Configuration on the ARM emulator)', () => {
  it('accepts a GatewayKey token signed by a current key of that gateway until it expires; 401 otherwise', async () => {
    const now = clock.now();
    const token = (await rotation.servable('apimService1', 'gw1', 0))?.value ?? fail('gw1 has no published token');
    expect(await configuration('gw1', `GatewayKey ${token}`)).toBe(200);
    expect(await configuration('GW1', `GatewayKey ${token}`)).toBe(200);
    expect(await configuration('gw2', `GatewayKey ${token}`)).toBe(401);
    expect(await configuration('gw1', `Bearer ${token}`)).toBe(401);
    expect(await configuration('gw1')).toBe(401);
    expect(await configuration('gw1', `GatewayKey ${signGatewayToken('gw1', new Date(now.getTime() + DAY), 'not-a-key')}`)).toBe(401);
    expect(await configuration('nope', `GatewayKey ${token}`)).toBe(401);
    const { primary } = (await armPost('/gateways/gw1/listKeys')).body as { primary: string };
    const shortLived = `GatewayKey ${signGatewayToken('gw1', new Date(now.getTime() + 2 * MINUTE), primary)}`;
    expect(await configuration('gw1', shortLived)).toBe(200);
    clock.advance(2 * MINUTE);
    expect(await configuration('gw1', shortLived)).toBe(401);
    expect(env.arm.calls().Gateway_Configuration).toBe(9);
    expect(env.arm.calls().Gateway_GenerateToken).toBe(0);
  });
});

describe('timers on the shared clock: /_local/clock catches them up, /_local/timers stops them', () => {
  it('runs every occurrence a jump passed as one past-due run, finished when the POST answers', async () => {
    const answer = await advance('P11D');
    expect(answer.status).toBe(200);
    expect(timerRuns).toHaveLength(1);
    expect(timerRuns[0]?.isPastDue).toBe(true);
    const nowHour = new Date(Math.floor(clock.now().getTime() / 3_600_000) * 3_600_000).toISOString();
    expect(timerRuns[0]?.scheduleStatus.last).toBe(nowHour);
    // The run finished before the answer: both targets rotated to the other key.
    expect(env.arm.calls().Gateway_GenerateToken).toBe(2);
    await settle();
    expect(timerRuns).toHaveLength(1);
  });

  it('fires nothing while paused; resuming catches up with one past-due run', async () => {
    expect(await local('POST', '/_local/timers', { paused: true })).toEqual({ status: 200, body: { paused: true } });
    await advance('PT5H');
    expect(timerRuns).toHaveLength(0);
    expect(await local('POST', '/_local/timers', { paused: false })).toEqual({ status: 200, body: { paused: false } });
    expect(timerRuns.map((run) => run.isPastDue)).toEqual([true]);
    expect((await local('POST', '/_local/timers', { paused: 'yes' })).body.error).toMatchObject({
      code: 'InvalidParameter',
      target: 'paused',
    });
  });

  it('fires an occurrence reached exactly as on time, once', async () => {
    const now = clock.now().getTime();
    const nextHour = Math.ceil((now + 1) / 3_600_000) * 3_600_000;
    await advance(`PT${(nextHour - now) / 1000}S`);
    expect(timerRuns.map((run) => [run.isPastDue, run.scheduleStatus.last])).toEqual([[false, new Date(nextHour).toISOString()]]);
  });
});

describe('the simulated gateways (/_local/gateways)', () => {
  it('pick up the published token by their policy: gw1 by its reloader within 2 minutes, gw2 only when it restarts', async () => {
    await local('POST', '/_local/gateways/apimService1/gw2', { pickup: 'restart', restartEvery: 'P30D' });
    await rotation.runAll({ log: recordingLogger() });
    const before = { gw1: await gateway('gw1'), gw2: await gateway('gw2') };
    // Each gateway holds the token published by the earlier runs, signed by a key still current.
    expect(before.gw1).toMatchObject({ service: 'apimService1', connected: true, pickup: 'reloader' });
    expect(before.gw2).toMatchObject({ connected: true, pickup: 'restart', restartEvery: 'P30D' });

    const gw1 = rotation.target('apimService1', 'gw1') ?? fail('no gw1');
    const rotated = await rotation.rotate(gw1, { force: true, log: recordingLogger() });
    const gw2 = rotation.target('apimService1', 'gw2') ?? fail('no gw2');
    await rotation.rotate(gw2, { force: true, log: recordingLogger() });
    env.resetCalls();
    await advance('PT2M');
    const after = { gw1: await gateway('gw1'), gw2: await gateway('gw2') };
    expect(after.gw1).toMatchObject({
      connected: true,
      keyType: rotated.targets[0]?.keyType,
      tokenExpiresOn: rotated.targets[0]?.expiresOn,
    });
    expect(after.gw1.pickedUpAt).toBe(clock.now().toISOString());
    expect(after.gw2).toEqual(before.gw2);
    // gw1's CSI poll and its restart's read, then its configuration call; gw2 did nothing.
    expect(env.keyVault.calls().GetSecret).toBe(2);
    expect(env.arm.calls().Gateway_Configuration).toBe(1);

    const restarted = await local('POST', '/_local/gateways/apimService1/GW2', { restart: true });
    expect(restarted.body).toMatchObject({ gatewayId: 'gw2', connected: true, tokenExpiresOn: (await published('gw2')).expiresOn });
  });

  it('lose their connection when the key that signed their token is regenerated, and say so at their next hourly call', async () => {
    const gw2 = await gateway('gw2');
    const keyType = gw2.keyType as 'primary' | 'secondary';
    const response = await fetch(`${host.url}/_local/gateways`);
    expect(response.headers.get('cache-control')).toBe('no-store');
    await response.arrayBuffer();
    const regenerate = (await armPost('/gateways/gw2/regenerateKey', { keyType })).status;
    expect(regenerate).toBe(204);
    expect((await gateway('gw2')).connected).toBe(true);
    await advance('PT1H');
    expect(await gateway('gw2')).toMatchObject({ connected: false, keyType });
  });

  it('refuses an unknown gateway (404) and bad changes (400 naming the field)', async () => {
    expect((await local('POST', '/_local/gateways/apimService1/gw9', { restart: true })).body.error).toMatchObject({
      code: 'NotFound',
      target: 'gatewayId',
    });
    const bad = await local('POST', '/_local/gateways/apimService1/gw1', { pickup: 'sometimes' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'InvalidParameter', target: 'pickup' });
    expect((await local('POST', '/_local/gateways/apimService1/gw1', { restart: true, pickup: 'reloader' })).body.error.target).toBe(
      'pickup',
    );
    expect((await local('POST', '/_local/gateways/apimService1/gw1', { pickup: 'reloader', restartEvery: 'P1D' })).body.error.target).toBe(
      'restartEvery',
    );
    expect(
      (await local('POST', '/_local/gateways/apimService1/gw1', { pickup: 'restart', restartEvery: 'weekly' })).body.error.target,
    ).toBe('restartEvery');
  });
});
