import type { TokenCredential } from '@azure/identity';
import { SecretClient } from '@azure/keyvault-secrets';
import { BlobServiceClient, type StoragePipelineOptions } from '@azure/storage-blob';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { type Broker, buildBroker } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { publishedSecretName } from '../../../../shared/rotation/publishedSecretName';
import type { RotationReport } from '../../../../shared/rotation/rotationReport';
import type { RotationService } from '../../../../shared/rotation/rotationService';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MAX_LIFETIME = 30 * DAY - 60_000;
const GW1 = publishedSecretName('apimService1', 'gw1');
const GW2 = publishedSecretName('apimService1', 'gw2');

let env: LocalEnvironment;
let clock: TestClock;
let vault: SecretClient;
let storage: BlobServiceClient;
let container = 0;

beforeAll(async () => {
  clock = new TestClock(new Date('2027-01-04T09:00:00Z'), { advanceOnSleep: true });
  env = await startBrokerEnvironment(
    { arm: { clock }, keyVault: { clock }, storage: true },
    {
      BROKER_ROTATION_TARGETS: JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1' },
        { service: 'apimService1', gatewayId: 'gw2', format: 'raw' },
      ]),
    },
  );
  const credential: TokenCredential = {
    getToken: async () => ({ token: process.env.BROKER_LOCAL_BEARER_TOKEN ?? '', expiresOnTimestamp: Date.now() + HOUR }),
  };
  vault = new SecretClient(env.keyVault.url, credential, {
    tlsOptions: { ca: env.tls.cert },
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  });
  const trustLocalCa: StoragePipelineOptions & { tlsOptions: { ca: string } } = { tlsOptions: { ca: env.tls.cert } };
  storage = new BlobServiceClient(env.storage?.blobServiceUrl ?? '', credential, trustLocalCa);
}, 60_000);
afterAll(() => env.stop());
beforeEach(() => {
  env.clearFaults();
  env.resetCalls();
});

/**
 * A broker over a store of its own: each test gets a new container (so no lease or record carries
 * over) and new published secret names.
 */
function newRotation(settings: Record<string, string> = {}): { broker: Broker; rotation: RotationService; gw1: string; gw2: string } {
  container += 1;
  const gw1 = `rot${container}-gw1`;
  const gw2 = `rot${container}-gw2`;
  const broker = buildBroker(
    loadConfig({
      ...process.env,
      BROKER_ROTATION_CONTAINER: `rotation-test-${container}`,
      BROKER_ROTATION_TARGETS: JSON.stringify([
        { service: 'apimService1', gatewayId: 'gw1', secretName: gw1 },
        { service: 'apimService1', gatewayId: 'gw2', secretName: gw2, format: 'raw' },
      ]),
      ...settings,
    }),
    { clock },
  );
  if (!broker.rotation) throw new Error('rotation is not configured');
  return { broker, rotation: broker.rotation, gw1, gw2 };
}

const mints = () => env.arm.calls().Gateway_GenerateToken;
const versions = async (name: string) => {
  const all = [];
  for await (const version of vault.listPropertiesOfSecretVersions(name)) all.push(version);
  return all.length;
};
const byGateway = (report: RotationReport) => Object.fromEntries(report.targets.map((target) => [target.gatewayId, target]));

describe('the rotation core (real SecretClient, Azurite, the ARM emulator, an injected clock)', () => {
  it('names each target its published secret by default: readable, injective', () => {
    const { rotation } = newRotation({ BROKER_ROTATION_TARGETS: JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1' }]) });
    expect(rotation.settings.targets.map((target) => target.secretName)).toEqual([GW1]);
    expect(GW1).toBe('gw-apimservice1--gw1');
    expect(GW2).toBe('gw-apimservice1--gw2');
    expect(publishedSecretName('apimService1', 'gw.1')).toMatch(/^gw-apimservice1--gw-1--[0-9a-f]{12}$/);
    expect(publishedSecretName('apimService1', 'gw.1')).not.toBe(publishedSecretName('apimService1', 'gw_1'));
    expect(publishedSecretName('a-b', 'c')).not.toBe(publishedSecretName('a', 'b-c'));
  });

  it('publishes a token for every missing target, for the maximum lifetime with the primary key, read back and tagged', async () => {
    const { rotation, gw1, gw2 } = newRotation();
    const report = await rotation.runAll({ log: recordingLogger() });
    const { gw1: first, gw2: second } = byGateway(report);
    expect(first).toMatchObject({ service: 'apimService1', due: true, action: 'rotated', keyType: 'primary' });
    expect(second).toMatchObject({ due: true, action: 'rotated', keyType: 'primary' });
    expect(first?.expiresOn).toBe(new Date(clock.now().getTime() + MAX_LIFETIME).toISOString().replace('.000Z', 'Z'));
    expect(mints()).toBe(2);

    const published = await vault.getSecret(gw1);
    const token = published.value?.replace(/^GatewayKey /, '') ?? '';
    expect(published.value?.startsWith('GatewayKey ')).toBe(true);
    expect(env.arm.isTokenValid('apimService1', 'gw1', token)).toBe(true);
    expect(published.properties.contentType).toBe('text/plain; kind=apim-gateway-token; format=gateway-key');
    expect(published.properties.expiresOn?.getTime()).toBe(clock.now().getTime() + MAX_LIFETIME);
    expect(published.properties.tags).toEqual({
      gatewayId: 'gw1',
      keyType: 'primary',
      rotatedAt: clock.now().toISOString(),
      rotationId: first?.rotationId,
    });
    const raw = await vault.getSecret(gw2);
    expect(raw.value?.startsWith('GatewayKey ')).toBe(false);
    expect(env.arm.isTokenValid('apimService1', 'gw2', raw.value ?? '')).toBe(true);
    expect(raw.properties.contentType).toBe('text/plain; kind=apim-gateway-token; format=raw');
  });

  it('rotates only when less than the rotate margin is left, alternating the key, and adds a version each time', async () => {
    const { rotation, gw1 } = newRotation();
    await rotation.runAll({ log: recordingLogger() });
    const notDue = await rotation.runAll({ log: recordingLogger() });
    expect(notDue.targets.map((target) => [target.action, target.due])).toEqual([
      ['notDue', false],
      ['notDue', false],
    ]);
    expect(mints()).toBe(2);

    clock.advance(MAX_LIFETIME - 20 * DAY);
    expect(byGateway(await rotation.runAll({ log: recordingLogger() })).gw1?.action).toBe('notDue');
    clock.advance(1_000);
    const rotated = byGateway(await rotation.runAll({ log: recordingLogger() }));
    expect(rotated.gw1).toMatchObject({ due: true, action: 'rotated', keyType: 'secondary' });
    clock.advance(MAX_LIFETIME - 20 * DAY + 1_000);
    expect(byGateway(await rotation.runAll({ log: recordingLogger() })).gw1).toMatchObject({ action: 'rotated', keyType: 'primary' });
    expect(mints()).toBe(6);
    expect(await versions(gw1)).toBe(3);
  });

  it('says what it would do on a dry run, and does nothing', async () => {
    const { rotation, gw1 } = newRotation();
    const report = await rotation.runAll({ dryRun: true, log: recordingLogger() });
    expect(report.targets.map((target) => [target.action, target.keyType])).toEqual([
      ['wouldRotate', 'primary'],
      ['wouldRotate', 'primary'],
    ]);
    expect(mints()).toBe(0);
    expect(await versions(gw1)).toBe(0);
  });

  it('rotates one target on demand, even when it is not due when forced', async () => {
    const { rotation } = newRotation();
    await rotation.runAll({ log: recordingLogger() });
    const target = rotation.target('APIMSERVICE1', 'GW1');
    if (!target) throw new Error('no target');
    expect((await rotation.rotate(target, { log: recordingLogger() })).targets).toEqual([
      expect.objectContaining({ gatewayId: 'gw1', action: 'notDue' }),
    ]);
    expect((await rotation.rotate(target, { force: true, log: recordingLogger() })).targets).toEqual([
      expect.objectContaining({ gatewayId: 'gw1', due: false, action: 'rotated', keyType: 'secondary' }),
    ]);
    expect(mints()).toBe(3);
  });

  it('skips a target whose lease another run holds: no mint, and not a success for staleness', async () => {
    const { rotation, gw1 } = newRotation();
    const lease = await holdLease(`rotation-test-${container}`, gw1, clock.now().toISOString());
    const report = byGateway(await rotation.runAll({ log: recordingLogger() }));
    expect(report.gw1).toMatchObject({ due: true, action: 'skipped' });
    expect(report.gw2?.action).toBe('rotated');
    expect(mints()).toBe(1);
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    expect((await rotation.status(target)).lastRun).toMatchObject({ action: 'skipped' });
    await lease.releaseLease();
  });

  it("breaks a crashed holder's lease once it is older than one schedule interval", async () => {
    const { rotation, gw1 } = newRotation();
    await holdLease(`rotation-test-${container}`, gw1, new Date(clock.now().getTime() - HOUR - 1_000).toISOString());
    expect(byGateway(await rotation.runAll({ log: recordingLogger() })).gw1?.action).toBe('rotated');
  });

  it('never mints twice for one due target when runs overlap', async () => {
    const { rotation } = newRotation();
    const reports = await Promise.all([rotation.runAll({ log: recordingLogger() }), rotation.runAll({ log: recordingLogger() })]);
    for (const gatewayId of ['gw1', 'gw2']) {
      const actions = reports.map((report) => byGateway(report)[gatewayId]?.action);
      expect(actions.filter((action) => action === 'rotated')).toHaveLength(1);
      expect(actions.filter((action) => action === 'skipped' || action === 'notDue')).toHaveLength(1);
    }
    expect(mints()).toBe(2);
  });

  it('keeps the published token when ARM fails after its retries; the target stays due and rotates next run', async () => {
    const { rotation, gw1 } = newRotation();
    await rotation.runAll({ log: recordingLogger() });
    const before = await vault.getSecret(gw1);
    clock.advance(11 * DAY);
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    env.arm.inject('Gateway_GenerateToken', { status: 503, times: 3 });
    expect((await rotation.rotate(target, { log: recordingLogger() })).targets[0]).toMatchObject({
      due: true,
      action: 'failed',
      error: { code: 'UpstreamError' },
    });
    expect((await vault.getSecret(gw1)).properties.version).toBe(before.properties.version);
    expect((await rotation.rotate(target, { log: recordingLogger() })).targets[0]?.action).toBe('rotated');
  });

  it('never lets one failing target stop the others', async () => {
    const { rotation } = newRotation({
      BROKER_ROTATION_TARGETS: JSON.stringify([
        { service: 'apimService1', gatewayId: 'no-such-gateway', secretName: `ghost-${container + 1}` },
        { service: 'apimService1', gatewayId: 'gw1', secretName: `alive-${container + 1}` },
      ]),
    });
    const report = await rotation.runAll({ log: recordingLogger() });
    expect(report.targets.map((target) => [target.gatewayId, target.action, target.error?.code])).toEqual([
      ['no-such-gateway', 'failed', 'NotFound'],
      ['gw1', 'rotated', undefined],
    ]);
  });

  it('waits out ARM throttling within the run', async () => {
    const { rotation } = newRotation();
    env.arm.inject('Gateway_GenerateToken', { status: 429, retryAfterSeconds: 5, times: 1 });
    const started = clock.now().getTime();
    const report = await rotation.runAll({ log: recordingLogger() });
    expect(report.targets.map((target) => target.action)).toEqual(['rotated', 'rotated']);
    expect(clock.now().getTime() - started).toBeGreaterThanOrEqual(5_000);
    expect(mints()).toBe(3);
  });

  it('fails loudly and mints nothing when the publish vault cannot be read', async () => {
    const { rotation } = newRotation();
    env.keyVault.inject('GetSecret', { status: 500, times: 10 });
    const report = await rotation.runAll({ log: recordingLogger() });
    expect(report.targets.map((target) => [target.action, target.error?.code])).toEqual([
      ['failed', 'KeyVaultUnavailable'],
      ['failed', 'KeyVaultUnavailable'],
    ]);
    expect(mints()).toBe(0);
  });

  it('keeps the earlier token published when the vault refuses the publish after a mint, and mints again next run', async () => {
    const { rotation } = newRotation({
      BROKER_ROTATION_TARGETS: JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1', secretName: `refused-${container + 1}` }]),
    });
    const [target] = rotation.settings.targets;
    if (!target) throw new Error('no target');
    await rotation.runAll({ log: recordingLogger() });
    const before = await vault.getSecret(target.secretName);
    clock.advance(11 * DAY);
    env.keyVault.inject('SetSecret', { status: 403, times: 1 });
    expect((await rotation.runAll({ log: recordingLogger() })).targets[0]).toMatchObject({
      action: 'failed',
      error: { code: 'PublishFailed' },
    });
    expect((await vault.getSecret(target.secretName)).properties.version).toBe(before.properties.version);
    expect((await rotation.runAll({ log: recordingLogger() })).targets[0]?.action).toBe('rotated');
    // The first publish, the refused one, and the next run's: one extra mint, never a lost valid token.
    expect(mints()).toBe(3);
  });

  it('fails loudly and mints nothing when storage is unreachable', async () => {
    const { rotation } = newRotation({ AzureWebJobsStorage__blobServiceUri: 'https://127.0.0.1:9/devstoreaccount1' });
    const report = await rotation.runAll({ log: recordingLogger() });
    expect(report.targets.map((target) => [target.action, target.error?.code])).toEqual([
      ['failed', 'StorageUnavailable'],
      ['failed', 'StorageUnavailable'],
    ]);
    expect(mints()).toBe(0);
  });

  it('reports readiness per target: missing, ok, near expiry, stale, store unavailable', async () => {
    const { rotation } = newRotation({ BROKER_ROTATION_STALE_AFTER: 'PT3H' });
    expect(await rotation.readiness()).toMatchObject({ status: 'notReady', targets: [{ state: 'missing' }, { state: 'missing' }] });
    await rotation.runAll({ log: recordingLogger() });
    expect(await rotation.readiness()).toMatchObject({ status: 'ready', targets: [{ state: 'ok' }, { state: 'ok' }] });
    clock.advance(3 * HOUR + 1_000);
    expect((await rotation.readiness()).targets.map((target) => target.state)).toEqual(['stale', 'stale']);
    await rotation.runAll({ log: recordingLogger() });
    clock.advance(MAX_LIFETIME - 10 * DAY + 1_000);
    env.arm.inject('Gateway_GenerateToken', { status: 503, times: 100 });
    await rotation.runAll({ log: recordingLogger() });
    expect((await rotation.readiness()).targets.map((target) => target.state)).toEqual(['nearExpiry', 'nearExpiry']);
    env.keyVault.inject('GetSecret', { status: 503, times: 4 });
    expect((await rotation.readiness()).targets.map((target) => target.state)).toEqual(['storeUnavailable', 'storeUnavailable']);
  });

  it('gives a token status without the value', async () => {
    const { rotation, gw1 } = newRotation();
    const report = byGateway(await rotation.runAll({ log: recordingLogger() }));
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    const status = await rotation.status(target);
    const published = await vault.getSecret(gw1);
    expect(status).toEqual({
      service: 'apimService1',
      gatewayId: 'gw1',
      secretName: gw1,
      version: published.properties.version,
      keyType: 'primary',
      expiresOn: report.gw1?.expiresOn,
      rotatedAt: clock.now().toISOString(),
      rotationId: report.gw1?.rotationId,
      lastRun: { at: clock.now().toISOString(), runId: report.gw1 ? expect.any(String) : '', action: 'rotated' },
    });
    expect(JSON.stringify(status)).not.toContain(published.value?.slice(11, 40) ?? 'x');
  });
});

describe('dual-key hygiene and revoke', () => {
  const regenerations = () => env.arm.calls().Gateway_RegenerateKey;
  const valid = (token: string) => env.arm.isTokenValid('apimService1', 'gw1', token.replace(/^GatewayKey /, ''));
  const publishedValue = async (name: string) => (await vault.getSecret(name)).value ?? '';
  const rotateGw1 = async (rotation: RotationService, force = false) => {
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    return (await rotation.rotate(target, { force, log: recordingLogger() })).targets[0];
  };

  it('regenerates a key before using it again once its last token was superseded for the grace, never the published key', async () => {
    const { rotation, gw1 } = newRotation({ BROKER_ROTATION_REGENERATE_RETIRED_KEY: 'true' });
    await rotateGw1(rotation);
    const first = await publishedValue(gw1);
    clock.advance(11 * DAY);
    expect(await rotateGw1(rotation)).toMatchObject({ action: 'rotated', keyType: 'secondary' });
    const second = await publishedValue(gw1);
    expect(regenerations()).toBe(1);
    expect(valid(first)).toBe(true);

    // Forced at once: the primary key's token (`first`) was superseded only now, so no regeneration.
    expect(await rotateGw1(rotation, true)).toMatchObject({ action: 'rotated', keyType: 'primary' });
    expect(regenerations()).toBe(1);
    const third = await publishedValue(gw1);
    clock.advance(11 * DAY);
    // The secondary key's token (`second`) was superseded by `third` eleven days ago: regenerated before reuse.
    expect(await rotateGw1(rotation)).toMatchObject({ action: 'rotated', keyType: 'secondary' });
    expect(regenerations()).toBe(2);
    expect([valid(first), valid(second), valid(third)]).toEqual([true, false, true]);
    expect(valid(await publishedValue(gw1))).toBe(true);
  });

  it('makes the request cache forget tokens of a regenerated key, on this instance at once and on others within five minutes', async () => {
    const { broker, rotation } = newRotation({ BROKER_ROTATION_REGENERATE_RETIRED_KEY: 'true' });
    const other = newRotation().broker;
    const ask = (instance: Broker) =>
      instance.apimTokens.gatewayToken(
        { alias: 'apimService1', gatewayId: 'gw1', keyType: 'primary' },
        { requestId: 'r', log: recordingLogger(), chargeMint: () => () => undefined },
      );
    await rotateGw1(rotation);
    clock.advance(11 * DAY);
    await rotateGw1(rotation);
    const cached = await ask(broker);
    expect((await ask(other)).value).toBe(cached.value);
    clock.advance(11 * DAY);
    await rotateGw1(rotation);
    expect(valid(cached.value)).toBe(false);
    const here = await ask(broker);
    expect(here).toMatchObject({ cache: 'miss' });
    expect(valid(here.value)).toBe(true);
    clock.advance(5 * 60_000);
    const there = await ask(other);
    expect(there.value).toBe(here.value);
    expect(valid(there.value)).toBe(true);
  });

  it('revokes: both keys regenerated, every earlier token refused, the newly published one valid', async () => {
    const { rotation, gw1 } = newRotation();
    await rotateGw1(rotation);
    const before = await publishedValue(gw1);
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    const answer = await rotation.revoke(target, recordingLogger());
    expect(answer).toMatchObject({
      gatewayId: 'gw1',
      keyType: 'secondary',
      completed: ['regenerateOtherKey', 'mintAndPublish', 'regenerateKeyInUse'],
      secretName: gw1,
    });
    expect(answer.message).toContain('cut off until they pick up the new version');
    expect(regenerations()).toBe(2);
    expect(valid(before)).toBe(false);
    const after = await publishedValue(gw1);
    expect(valid(after)).toBe(true);
    expect((await vault.getSecret(gw1)).properties.tags?.rotationId).toBe(answer.rotationId);
  });

  it('answers which steps a failed revoke completed, and a retry continues from there', async () => {
    const { rotation, gw1 } = newRotation();
    await rotateGw1(rotation);
    const before = await publishedValue(gw1);
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    env.arm.inject('Gateway_GenerateToken', { status: 500, times: 3 });
    await expect(rotation.revoke(target, recordingLogger())).rejects.toMatchObject({
      status: 503,
      code: 'RevokeIncomplete',
      message: 'The revoke stopped after: regenerateOtherKey. Retry to continue.',
    });
    expect(regenerations()).toBe(1);
    expect(await publishedValue(gw1)).toBe(before);
    expect(valid(before)).toBe(true);
    const retried = await rotation.revoke(target, recordingLogger());
    expect(retried.completed).toEqual(['regenerateOtherKey', 'mintAndPublish', 'regenerateKeyInUse']);
    expect(regenerations()).toBe(2);
    expect(valid(before)).toBe(false);
    expect(valid(await publishedValue(gw1))).toBe(true);
  });

  it('is refused with 409 when the deployment turned revoke off', async () => {
    const { rotation } = newRotation({ BROKER_ROTATION_REVOKE_ENABLED: 'false' });
    const target = rotation.target('apimService1', 'gw1');
    if (!target) throw new Error('no target');
    await expect(rotation.revoke(target, recordingLogger())).rejects.toMatchObject({ status: 409, code: 'RevokeDisabled' });
    expect(regenerations()).toBe(0);
  });
});

/** Another holder's lease on a target, as a crashed or concurrent run would leave it. */
async function holdLease(containerName: string, target: string, startedAt: string) {
  const client = storage.getContainerClient(containerName);
  await client.createIfNotExists();
  const blob = client.getBlockBlobClient(`leases/${target}`);
  const text = JSON.stringify({ runId: 'other-run', startedAt });
  await blob.upload(text, Buffer.byteLength(text));
  const lease = blob.getBlobLeaseClient();
  await lease.acquireLease(60);
  return lease;
}
