import https from 'node:https';
import { SecretClient } from '@azure/keyvault-secrets';
import { SimulatedGateway } from '../../../../local/gateways/simulatedGateway';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { buildBroker } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import type { RotationReport } from '../../../../shared/rotation/rotationReport';
import type { RotationService } from '../../../../shared/rotation/rotationService';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

/**
 * A year of hourly rotation runs on an injected clock, in process, against the ARM and Key Vault
 * emulators, Azurite and two simulated self-hosted gateways (one picking up new versions through a
 * reloader, one only when it restarts weekly), with faults on a schedule. Every hour it checks what
 * an operator relies on: no gateway that ever had a token is disconnected, and readiness says 503
 * exactly when it should.
 */
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const YEAR_HOURS = Number(process.env.ROTATION_YEAR_HOURS ?? 365 * 24);
const ALERT_BEFORE = 10 * DAY;
const STALE_AFTER = 3 * HOUR;

/** The fault schedule, by day of the year: each applies from its first hour for its length. */
const SCHEDULE = {
  armDown: { day: 40, hours: 48 },
  armThrottled: { day: 100, hours: 6 },
  keyVaultDown: { day: 150, hours: 24 },
  storageDown: { day: 200, hours: 24 },
  overlappingRuns: { day: 250, hours: 24 },
  publishRefused: { day: 280, hours: 240 },
  timersPaused: { day: 320, hours: 24 },
} as const;
type FaultName = keyof typeof SCHEDULE;

const clock = new TestClock(new Date('2027-01-01T00:00:00Z'), { advanceOnSleep: true });
let env: LocalEnvironment;

beforeAll(async () => {
  env = await startBrokerEnvironment(
    { clock, storage: true },
    {
      BROKER_ROTATION_TARGETS: JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1' },
        { service: 'apimService1', gatewayId: 'gw2' },
      ]),
      BROKER_ROTATION_CONTAINER: 'rotation-year',
    },
  );
}, 60_000);
afterAll(() => env.stop());

let faultsOn = true;

function active(name: FaultName, hour: number): boolean {
  if (!faultsOn) return false;
  const { day, hours } = SCHEDULE[name];
  return hour >= day * 24 && hour < day * 24 + hours;
}

interface YearFigures {
  mintsPerGateway: Record<string, number>;
  minimumRemainingDays: number;
  notReadyHours: Record<string, number>;
  disconnectedGatewayHours: number;
  mismatches: string[];
  doubleMints: number;
  refusedPublishes: number;
  refusedPublishesPerGateway: Record<string, number>;
  /** Hours in which readiness answered 503, whatever the reasons. */
  notReadyHoursTotal: number;
}

interface Simulation {
  hours: number;
  /** Apply the fault schedule (the year); off for the hygiene run. */
  faults: boolean;
}

async function simulate(
  rotation: RotationService,
  simulation: Simulation,
): Promise<{ figures: YearFigures; gateways: SimulatedGateway[]; published: Record<string, string[]> }> {
  const vault = new SecretClient(
    env.keyVault.url,
    { getToken: async () => ({ token: process.env.BROKER_LOCAL_BEARER_TOKEN ?? '', expiresOnTimestamp: Date.now() + HOUR }) },
    { tlsOptions: { ca: env.tls.cert }, disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
  );
  const log = () => undefined;
  const gateways = rotation.settings.targets.map(
    (target, index) =>
      new SimulatedGateway(
        { target, vault, armUrl: env.arm.url, ca: env.tls.cert, clock, log },
        index === 0 ? { pickup: 'reloader' } : { pickup: 'restart', restartEveryMs: 7 * DAY },
      ),
  );
  const figures: YearFigures = {
    mintsPerGateway: { gw1: 0, gw2: 0 },
    minimumRemainingDays: Number.POSITIVE_INFINITY,
    notReadyHours: {},
    disconnectedGatewayHours: 0,
    mismatches: [],
    doubleMints: 0,
    refusedPublishes: 0,
    refusedPublishesPerGateway: {},
    notReadyHoursTotal: 0,
  };
  const published: Record<string, string[]> = { gw1: [], gw2: [] };
  const lastSuccess: Record<string, number> = {};
  const expiresOn: Record<string, number> = {};
  // What an earlier simulation left behind is where this one starts.
  for (const target of rotation.settings.targets) {
    const status = await rotation.status(target);
    if (status.expiresOn !== undefined) expiresOn[target.gatewayId] = Date.parse(status.expiresOn);
    if (status.lastRun && (status.lastRun.action === 'rotated' || status.lastRun.action === 'notDue')) {
      lastSuccess[target.gatewayId] = Date.parse(status.lastRun.at);
    }
  }

  const record = async (report: RotationReport) => {
    for (const outcome of report.targets) {
      if (outcome.action === 'rotated') {
        const target = rotation.target('apimService1', outcome.gatewayId);
        if (target) published[outcome.gatewayId]?.push((await vault.getSecret(target.secretName)).value ?? '');
      }
      if (outcome.action === 'rotated' || outcome.action === 'notDue') lastSuccess[outcome.gatewayId] = clock.now().getTime();
      // An accepted mint is a rotation, or a mint whose publish was refused afterwards.
      const minted = outcome.action === 'rotated' || outcome.error?.code === 'PublishFailed';
      if (minted) figures.mintsPerGateway[outcome.gatewayId] = (figures.mintsPerGateway[outcome.gatewayId] ?? 0) + 1;
      if (outcome.action === 'rotated' && outcome.expiresOn) expiresOn[outcome.gatewayId] = Date.parse(outcome.expiresOn);
      if (outcome.error?.code === 'PublishFailed') {
        figures.refusedPublishes += 1;
        figures.refusedPublishesPerGateway[outcome.gatewayId] = (figures.refusedPublishesPerGateway[outcome.gatewayId] ?? 0) + 1;
      }
    }
  };

  faultsOn = simulation.faults;
  const start = clock.now().getTime();
  for (let hour = 0; hour < simulation.hours; hour += 1) {
    env.clearFaults();
    if (active('armDown', hour)) env.arm.inject('Gateway_GenerateToken', { status: 503, times: 1000 });
    if (active('armThrottled', hour)) env.arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 5, times: 1 });
    if (active('keyVaultDown', hour)) env.keyVault.inject('*', { status: 503, times: 10_000 });
    if (active('storageDown', hour)) env.storage?.inject('*', { status: 503, times: 10_000 });
    const refusePublish = active('publishRefused', hour) && figures.refusedPublishes === 0;
    if (refusePublish) env.keyVault.inject('SetSecret', { status: 403, times: 1 });

    const mintsBefore = env.arm.calls().Gateway_GenerateToken;
    if (!active('timersPaused', hour)) {
      const runs = active('overlappingRuns', hour) ? 2 : 1;
      const reports = await Promise.all(Array.from({ length: runs }, () => rotation.runAll({ log: recordingLogger() })));
      for (const report of reports) await record(report);
      const rotatedNow = reports.flatMap((report) => report.targets.filter((target) => target.action === 'rotated'));
      const acceptedMints = env.arm.calls().Gateway_GenerateToken - mintsBefore;
      if (new Set(rotatedNow.map((target) => target.gatewayId)).size < rotatedNow.length) figures.doubleMints += 1;
      if (!active('armDown', hour) && !active('armThrottled', hour) && acceptedMints > 2) figures.doubleMints += 1;
    }
    for (const gateway of gateways) {
      await gateway.act();
      await gateway.act();
    }
    // Readiness is read half way through the hour, clear of every threshold's edge.
    clock.advance(HOUR / 2);

    for (const gateway of gateways) {
      const status = gateway.status();
      if (status.pickedUpAt !== null && !status.connected) figures.disconnectedGatewayHours += 1;
    }
    const now = clock.now().getTime();
    for (const gatewayId of ['gw1', 'gw2']) {
      const left = (expiresOn[gatewayId] ?? now) - now;
      if (hour > 0) figures.minimumRemainingDays = Math.min(figures.minimumRemainingDays, left / DAY);
    }
    const reasons = [
      ...(['gw1', 'gw2'].some((id) => expiresOn[id] === undefined || (expiresOn[id] ?? 0) - now < ALERT_BEFORE) ? ['nearExpiry'] : []),
      ...(['gw1', 'gw2'].some((id) => lastSuccess[id] === undefined || now - (lastSuccess[id] ?? 0) > STALE_AFTER) ? ['stale'] : []),
      ...(active('keyVaultDown', hour) || active('storageDown', hour) ? ['storeUnavailable'] : []),
    ];
    const readiness = await rotation.readiness();
    const expectedReady = reasons.length === 0;
    if ((readiness.status === 'ready') !== expectedReady) {
      figures.mismatches.push(`hour ${hour}: ${readiness.status}, expected ${expectedReady ? 'ready' : reasons.join('+')}`);
    }
    for (const reason of reasons) figures.notReadyHours[reason] = (figures.notReadyHours[reason] ?? 0) + 1;
    if (readiness.status !== 'ready') figures.notReadyHoursTotal += 1;
    clock.set(new Date(start + (hour + 1) * HOUR));
  }
  return { figures, gateways, published };
}

/** Whether the gateway configuration endpoint accepts a token, as a real gateway's connection would. */
function configurationAccepts(gatewayId: string, authorization: string): Promise<boolean> {
  const url = `${env.arm.url}/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1/gateways/${gatewayId}/configuration`;
  return new Promise((resolve) => {
    const request = https.request(url, { method: 'GET', ca: env.tls.cert, headers: { authorization } }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    request.on('error', () => resolve(false));
    request.end();
  });
}

describe('a year of gateway-token rotation (injected clock, emulators, Azurite, simulated gateways)', () => {
  it('never lets a gateway lapse, says not ready exactly when it should, and mints no more than the policy needs', async () => {
    const broker = buildBroker(loadConfig(process.env), { clock });
    if (!broker.rotation) throw new Error('rotation is not configured');
    const { figures } = await simulate(broker.rotation, { hours: YEAR_HOURS, faults: true });
    console.log(`rotation year: ${JSON.stringify({ ...figures, mismatches: figures.mismatches.length })}`);
    expect(figures.mismatches).toEqual([]);
    expect(figures.disconnectedGatewayHours).toBe(0);
    expect(figures.doubleMints).toBe(0);
    expect(figures.refusedPublishes).toBe(1);
    // The policy's minimum: a first mint, then one per rotation interval (30 days less the skew less 20 days).
    for (const gatewayId of ['gw1', 'gw2']) {
      expect(figures.mintsPerGateway[gatewayId]).toBeLessThanOrEqual(37 + (figures.refusedPublishesPerGateway[gatewayId] ?? 0));
      expect(figures.mintsPerGateway[gatewayId]).toBeGreaterThanOrEqual(36);
    }
    expect(figures.minimumRemainingDays).toBeGreaterThan(ALERT_BEFORE / DAY - 3);
  }, 600_000);

  it('with hygiene on: keys really regenerated, a token from two rotations back refused, no gateway disconnected; then a revoke', async () => {
    const broker = buildBroker(loadConfig({ ...process.env, BROKER_ROTATION_REGENERATE_RETIRED_KEY: 'true' }), { clock });
    if (!broker.rotation) throw new Error('rotation is not configured');
    const regenerationsBefore = env.arm.calls().Gateway_RegenerateKey;
    const { figures, gateways, published } = await simulate(broker.rotation, { hours: 45 * 24, faults: false });
    expect(figures.disconnectedGatewayHours).toBe(0);
    expect(figures.mismatches).toEqual([]);
    expect(env.arm.calls().Gateway_RegenerateKey - regenerationsBefore).toBeGreaterThanOrEqual(6);
    for (const gatewayId of ['gw1', 'gw2']) {
      const tokens = published[gatewayId] ?? [];
      expect(tokens.length).toBeGreaterThanOrEqual(4);
      expect(await configurationAccepts(gatewayId, tokens.at(-3) ?? '')).toBe(false);
      expect(await configurationAccepts(gatewayId, tokens.at(-1) ?? '')).toBe(true);
    }

    const target = broker.rotation.target('apimService1', 'gw1');
    const reloader = gateways[0];
    if (!target || !reloader) throw new Error('no target');
    const earlier = published.gw1 ?? [];
    await broker.rotation.revoke(target, recordingLogger());
    for (const token of earlier) expect(await configurationAccepts('gw1', token)).toBe(false);
    const revokedAt = clock.now().getTime();
    const pickedUpSince = () => Date.parse(reloader.status().pickedUpAt ?? '') > revokedAt;
    for (let minute = 0; minute < 3 && !pickedUpSince(); minute += 1) {
      clock.advance(60_000);
      await reloader.act();
    }
    // Within its pickup time (the CSI poll, 2 minutes, on a one-minute step) it runs the new token and is connected.
    expect(pickedUpSince()).toBe(true);
    expect(Date.parse(reloader.status().pickedUpAt ?? '') - revokedAt).toBeLessThanOrEqual(3 * 60_000);
    expect(reloader.status().connected).toBe(true);
  }, 300_000);
});
