import { type HttpHandler, InvocationContext } from '@azure/functions';
import type * as GatewayRevoke from '../../../functions/gatewayRevoke';
import type * as GatewayRotate from '../../../functions/gatewayRotate';
import type * as GatewayToken from '../../../functions/gatewayToken';
import type * as GatewayTokenStatus from '../../../functions/gatewayTokenStatus';
import type * as Ready from '../../../functions/ready';
import type * as RotationRun from '../../../functions/rotationRun';
import type * as RotationRunReport from '../../../functions/rotationRunReport';
import type * as RotationTimer from '../../../functions/rotationTimer';
import type { LocalEnvironment } from '../../../local/localEnvironment';
import type * as ProcessClock from '../../../shared/time/processClock';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';
import { TestClock } from '../../support/testClock';

let env: LocalEnvironment;
/** ARM's own time: a delay injected into ARM lasts until the test moves this clock. */
const armClock = new TestClock();
let admin: string;

beforeAll(async () => {
  env = await startBrokerEnvironment(
    { arm: { clock: armClock }, storage: true },
    {
      BROKER_ROTATION_TARGETS: JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1' },
        { service: 'apimService1', gatewayId: 'gw2' },
      ]),
    },
  );
  admin = `Bearer ${await env.callerToken()}`;
}, 60_000);
afterAll(() => env.stop());
beforeEach(() => {
  env.clearFaults();
  env.resetCalls();
});

/** The function handlers of one new instance; its broker runs on `clock` when one is given. */
function instance(clock?: TestClock) {
  return freshInstance(() => {
    if (clock) (require('../../../shared/time/processClock') as typeof ProcessClock).useProcessClock(clock);
    return {
      run: (require('../../../functions/rotationRun') as typeof RotationRun).rotationRunHandler,
      report: (require('../../../functions/rotationRunReport') as typeof RotationRunReport).rotationRunReportHandler,
      rotate: (require('../../../functions/gatewayRotate') as typeof GatewayRotate).gatewayRotateHandler,
      revoke: (require('../../../functions/gatewayRevoke') as typeof GatewayRevoke).gatewayRevokeHandler,
      status: (require('../../../functions/gatewayTokenStatus') as typeof GatewayTokenStatus).gatewayTokenStatusHandler,
      ready: (require('../../../functions/ready') as typeof Ready).readyHandler,
      token: (require('../../../functions/gatewayToken') as typeof GatewayToken).gatewayTokenHandler,
    };
  });
}

const call = (
  handler: HttpHandler,
  path: string,
  options: { method?: string; headers?: Record<string, string>; params?: Record<string, string> } = {},
) => {
  const [pathname, query = ''] = path.split('?');
  return invokeHandler(handler, {
    method: options.method ?? 'POST',
    path: pathname,
    query: [...new URLSearchParams(query)],
    params: options.params ?? {},
    headers: { authorization: admin, ...options.headers },
  });
};
const gw = (gatewayId: string) => ({ service: 'apimService1', gatewayId });
const mints = () => env.arm.calls().Gateway_GenerateToken;
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('the rotation routes', () => {
  const routes = instance();

  it('readiness is 503 until every target holds a published token, with no secret in it', async () => {
    const ready = await call(routes.ready, '/api/ready', { method: 'GET', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.json).toEqual({
      status: 'notReady',
      targets: [
        { service: 'apimService1', gatewayId: 'gw1', state: 'missing' },
        { service: 'apimService1', gatewayId: 'gw2', state: 'missing' },
      ],
      configuration: 'ok',
    });
  });

  it('runs every target on POST /api/rotation/run, then readiness is 200', async () => {
    const dry = await call(routes.run, '/api/rotation/run?dryRun=true');
    expect(dry.json.targets.map((target: { action: string }) => target.action)).toEqual(['wouldRotate', 'wouldRotate']);
    expect(mints()).toBe(0);
    const run = await call(routes.run, '/api/rotation/run');
    expect(run.status).toBe(200);
    expect(run.headers['cache-control']).toBe('no-store');
    expect(run.json.targets.map((target: { action: string }) => target.action)).toEqual(['rotated', 'rotated']);
    expect(mints()).toBe(2);
    expect((await call(routes.ready, '/api/ready', { method: 'GET', headers: {} })).status).toBe(200);
  });

  it('refuses a bad query with a 400 naming it, before any upstream or storage call', async () => {
    for (const [query, target] of [
      ['dryRun=yes', 'query.dryRun'],
      ['dryrun=true', 'query.dryrun'],
      ['dryRun=true&dryRun=false', 'dryRun'],
    ] as const) {
      const refused = await call(routes.run, `/api/rotation/run?${query}`);
      expect(refused.status).toBe(400);
      expect(refused.json.error.target).toBe(target);
    }
    expect(env.upstreamCalls().arm).toEqual(Object.fromEntries(Object.keys(env.arm.calls()).map((operation) => [operation, 0])));
  });

  it('asks for the rotate role', async () => {
    const consumer = `Bearer ${await env.callerToken({ roles: ['Broker.GatewayToken'] })}`;
    const refused = await call(routes.run, '/api/rotation/run', { headers: { authorization: consumer } });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toContain('Broker.Rotate');
  });

  it('rotates one target when forced, and answers a retry with the same Idempotency-Key from memory of storage', async () => {
    const headers = { 'idempotency-key': 'retry-1' };
    const first = await call(routes.rotate, '/api/apim/apimService1/gateways/GW1/rotate?force=true', { params: gw('GW1'), headers });
    expect(first.status).toBe(200);
    expect(first.json.targets).toEqual([expect.objectContaining({ gatewayId: 'gw1', action: 'rotated', keyType: 'secondary' })]);
    const retried = await call(routes.rotate, '/api/apim/apimService1/gateways/GW1/rotate?force=true', { params: gw('GW1'), headers });
    expect(retried.json).toEqual(first.json);
    expect(retried.headers['idempotent-replayed']).toBe('true');
    expect(mints()).toBe(1);
    const notForced = await call(routes.rotate, '/api/apim/apimService1/gateways/gw1/rotate', { params: gw('gw1') });
    expect(notForced.json.targets[0].action).toBe('notDue');
    expect(mints()).toBe(1);
  });

  it('answers 404 for a gateway that is not a rotation target', async () => {
    const unknown = await call(routes.rotate, '/api/apim/apimService1/gateways/gw9/rotate', { params: gw('gw9') });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error.code).toBe('NotARotationTarget');
  });

  it('gives token-status to a consumer holding only the gateway-token role, never the value', async () => {
    const consumer = `Bearer ${await env.callerToken({ roles: ['Broker.GatewayToken'] })}`;
    const status = await call(routes.status, '/api/apim/apimService1/gateways/gw1/token-status', {
      method: 'GET',
      params: gw('gw1'),
      headers: { authorization: consumer },
    });
    expect(status.status).toBe(200);
    expect(Object.keys(status.json).sort()).toEqual(
      ['expiresOn', 'gatewayId', 'keyType', 'lastRun', 'rotatedAt', 'rotationId', 'secretName', 'service', 'version'].sort(),
    );
    expect(status.json).toMatchObject({ secretName: 'gw-apimservice1--gw1', keyType: 'secondary', lastRun: { action: 'notDue' } });
  });

  it("serves a rotation target's published token on the token route when the caller names no key or expiry", async () => {
    const published = await call(routes.token, '/api/apim/apimService1/gateways/gw1/token', { params: gw('gw1') });
    expect(published.status).toBe(200);
    expect(published.headers['x-cache']).toBe('published');
    expect(published.json.keyType).toBe('secondary');
    expect(env.arm.isTokenValid('apimService1', 'gw1', published.json.value)).toBe(true);
    const chosenKey = await invokeHandler(routes.token, {
      method: 'POST',
      params: gw('gw1'),
      headers: { authorization: admin, 'content-type': 'application/json' },
      body: JSON.stringify({ keyType: 'primary' }),
    });
    expect(chosenKey.headers['x-cache']).toBe('miss');
    expect(chosenKey.json.value).not.toBe(published.json.value);
    expect(mints()).toBe(1);
  });

  it('runs every due target when the timer fires, past due or not', async () => {
    const timer = freshInstance(() => (require('../../../functions/rotationTimer') as typeof RotationTimer).rotationTimerHandler);
    const logs: string[] = [];
    const context = new InvocationContext({
      invocationId: 't',
      functionName: 'rotationTimer',
      logHandler: (_level, ...args) => logs.push(args.join(' ')),
    });
    await timer({ isPastDue: true, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } }, context);
    expect(logs.map((line) => JSON.parse(line).event)).toEqual(['rotationPastDue', 'rotationRun']);
    expect(JSON.parse(logs[1] ?? '{}').targets.map((target: { action: string }) => target.action)).toEqual(['notDue', 'notDue']);
    expect(mints()).toBe(0);
  });

  it('revokes on POST …/revoke: earlier tokens refused, the new one published; a retry with the same Idempotency-Key does nothing', async () => {
    const before = await call(routes.token, '/api/apim/apimService1/gateways/gw2/token', { params: gw('gw2') });
    const headers = { 'idempotency-key': 'revoke-1' };
    const revoked = await call(routes.revoke, '/api/apim/apimService1/gateways/gw2/revoke', { params: gw('gw2'), headers });
    expect(revoked.status).toBe(200);
    expect(revoked.json.completed).toEqual(['regenerateOtherKey', 'mintAndPublish', 'regenerateKeyInUse']);
    expect(env.arm.isTokenValid('apimService1', 'gw2', before.json.value)).toBe(false);
    const replayed = await call(routes.revoke, '/api/apim/apimService1/gateways/gw2/revoke', { params: gw('gw2'), headers });
    expect(replayed.json).toEqual(revoked.json);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(env.arm.calls()).toMatchObject({ Gateway_RegenerateKey: 2, Gateway_GenerateToken: 1 });
  });

  it('is not ready while the publish vault cannot be read', async () => {
    env.keyVault.inject('GetSecret', { status: 503, times: 10 });
    const ready = await call(routes.ready, '/api/ready', { method: 'GET', headers: {} });
    expect(ready.status).toBe(503);
    expect(ready.json.targets.map((target: { state: string }) => target.state)).toEqual(['storeUnavailable', 'storeUnavailable']);
  });
});

describe('a run that outlasts 30 seconds', () => {
  it('answers 202 with Location and Retry-After, and any instance serves the report there once it is done', async () => {
    const clock = new TestClock();
    // The ARM call is held on ARM's clock; the real-time per-attempt timeout must not end it first.
    process.env.BROKER_UPSTREAM_ATTEMPT_TIMEOUT_MS = '60000';
    const routes = instance(clock);
    const force = await call(routes.rotate, '/api/apim/apimService1/gateways/gw2/rotate?force=true', { params: gw('gw2') });
    expect(force.status).toBe(200);
    clock.advance(11 * 86_400_000);
    armClock.set(clock.now());
    // A caller token of the broker's present, eleven days on.
    const later = { authorization: `Bearer ${await env.callerToken({ issuedAt: clock.now() })}` };
    const before = mints();
    env.arm.inject('Gateway_GenerateToken', { delayMs: 60_000 });
    const running = call(routes.run, '/api/rotation/run', { headers: later });
    for (let tries = 0; mints() === before && tries < 10_000; tries += 1) await settle();
    await settle();
    clock.advance(30_000);
    const accepted = await running;
    expect(accepted.status).toBe(202);
    expect(accepted.headers['retry-after']).toBe('10');
    const location = new URL(accepted.headers.location ?? '');
    expect(location.pathname).toBe(`/api/rotation/runs/${accepted.json.runId}`);

    const elsewhere = instance(clock);
    const poll = () => call(elsewhere.report, location.pathname, { method: 'GET', params: { runId: accepted.json.runId }, headers: later });
    const stillRunning = await poll();
    expect(stillRunning.status).toBe(202);
    armClock.advance(60_000);
    let done = await poll();
    for (let tries = 0; done.status === 202 && tries < 200; tries += 1) {
      await settle();
      done = await poll();
    }
    expect(done.status).toBe(200);
    expect(done.json.runId).toBe(accepted.json.runId);
    expect(done.json.targets.map((target: { action: string }) => target.action)).toEqual(['rotated', 'rotated']);
  });

  it('answers 404 for an unknown run and 400 for a run id that is no UUID', async () => {
    const routes = instance();
    const unknown = await call(routes.report, '/api/rotation/runs/x', {
      method: 'GET',
      params: { runId: '2b0e8f5e-8a47-4c5b-9d1e-111111111111' },
    });
    expect(unknown.status).toBe(404);
    const bad = await call(routes.report, '/api/rotation/runs/x', { method: 'GET', params: { runId: 'not-a-run' } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.target).toBe('runId');
  });
});
