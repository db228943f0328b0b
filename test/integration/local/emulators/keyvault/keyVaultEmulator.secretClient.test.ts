import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KEY_VAULT_OPERATIONS, KeyVaultEmulator, MAX_SECRET_VALUE_BYTES } from '../../../../../local/emulators/keyvault/keyVaultEmulator';
import { createLocalTls, type LocalTlsMaterial } from '../../../../../local/emulators/tls';
import { TestClock } from '../../../../support/testClock';
import { collect, collectPages, DAY_MS, expectRestError, secretClient } from './keyVaultTestSupport';

/** The emulator as the real `@azure/keyvault-secrets` client (api-version 2025-07-01) sees it. */
describe('KeyVaultEmulator driven by the real SecretClient', () => {
  const start = new Date('2026-03-01T12:00:00Z');
  const clock = new TestClock(start);
  let tls: LocalTlsMaterial;
  const emulator = new KeyVaultEmulator({ clock });
  let uniqueName = 0;
  /** Tests share the vault, so each works on names of its own. */
  const newName = (prefix: string) => `${prefix}-${++uniqueName}`;

  beforeAll(async () => {
    tls = await createLocalTls();
    await emulator.start(tls);
  });
  afterAll(() => emulator.stop());
  afterEach(() => {
    emulator.clearFaults();
    clock.set(start);
  });

  const client = () => secretClient(emulator, tls);

  it('lists every operation with 0 calls before any request', () => {
    expect(new KeyVaultEmulator().calls()).toEqual(Object.fromEntries(KEY_VAULT_OPERATIONS.map((operation) => [operation, 0])));
  });

  it("answers a new client's token-less first request with the challenge, then serves it with a token", async () => {
    emulator.resetCalls();
    const fresh = client();
    await fresh.setSecret(newName('challenge'), 'v1');
    expect(emulator.unauthenticatedRequests()).toBe(1);
    expect(emulator.calls().SetSecret).toBe(2);

    await fresh.setSecret(newName('challenge'), 'v2');
    expect(emulator.unauthenticatedRequests()).toBe(1);
    expect(emulator.calls().SetSecret).toBe(3);
  });

  it('stores value, content type, tags and expiry, and returns them by latest and by version', async () => {
    const name = newName('token');
    const expiresOn = new Date(start.getTime() + 7 * DAY_MS);
    const notBefore = new Date(start.getTime() - 60_000);
    const tags = { kind: 'gateway', service: 'apimService1', gateway: 'gw1' };
    const set = await client().setSecret(name, 'GatewayKey gw1&202603081200&abc', {
      contentType: 'text/plain',
      tags,
      expiresOn,
      notBefore,
    });

    expect(set.value).toBe('GatewayKey gw1&202603081200&abc');
    expect(set.properties.version).toMatch(/^[0-9a-f]{32}$/);
    expect(set.properties.id).toBe(`${emulator.url}/secrets/${name}/${set.properties.version}`);
    expect(set.properties.vaultUrl).toBe(emulator.url);

    for (const got of [await client().getSecret(name), await client().getSecret(name, { version: set.properties.version ?? '' })]) {
      expect(got.name).toBe(name);
      expect(got.value).toBe('GatewayKey gw1&202603081200&abc');
      expect(got.properties).toMatchObject({
        version: set.properties.version,
        contentType: 'text/plain',
        tags,
        enabled: true,
        expiresOn,
        notBefore,
        createdOn: start,
        updatedOn: start,
        recoveryLevel: 'Recoverable+Purgeable',
        recoverableDays: 90,
      });
    }
  });

  it('makes every set a new current version, keeping the earlier ones readable', async () => {
    const name = newName('rotating');
    const first = await client().setSecret(name, 'one');
    clock.set(new Date(start.getTime() + 1000));
    const second = await client().setSecret(name, 'two');

    expect(second.properties.version).not.toBe(first.properties.version);
    const latest = await client().getSecret(name);
    expect(latest.value).toBe('two');
    expect(latest.properties.createdOn).toEqual(clock.now());
    expect((await client().getSecret(name, { version: first.properties.version ?? '' })).value).toBe('one');
  });

  it('lists the versions of a secret without values, page by page as maxresults asks', async () => {
    const name = newName('versions');
    const versions: string[] = [];
    for (const value of ['a', 'b', 'c']) versions.push((await client().setSecret(name, value)).properties.version ?? '');

    const listed = await collect(client().listPropertiesOfSecretVersions(name));
    expect(listed.map((properties) => properties.version)).toEqual(versions);
    expect(listed.every((properties) => properties.name === name && !('value' in properties))).toBe(true);

    const pages = await collectPages(client().listPropertiesOfSecretVersions(name).byPage({ maxPageSize: 2 }));
    expect(pages.map((page) => page.map((properties) => properties.version))).toEqual([versions.slice(0, 2), versions.slice(2)]);

    expect(await collect(client().listPropertiesOfSecretVersions(newName('never-set')))).toEqual([]);
  });

  it('lists secrets by name, described by their current version', async () => {
    const name = newName('listed');
    await client().setSecret(name, 'old', { tags: { generation: '1' } });
    const current = await client().setSecret(name, 'new', { tags: { generation: '2' }, contentType: 'text/plain' });

    const listed = await collect(client().listPropertiesOfSecrets());
    const entry = listed.find((properties) => properties.name === name);
    expect(entry).toMatchObject({
      id: `${emulator.url}/secrets/${name}`,
      tags: { generation: '2' },
      contentType: 'text/plain',
      enabled: true,
    });
    expect(entry?.version).toBeUndefined();
    expect(entry?.updatedOn).toEqual(current.properties.updatedOn);
    const names = listed.map((properties) => properties.name.toLowerCase());
    expect(names).toEqual([...names].sort());
  });

  it('updates tags and enabled of one version; a disabled secret is refused with 403 until enabled again', async () => {
    const name = newName('updated');
    const { properties } = await client().setSecret(name, 'value', { tags: { a: '1' }, contentType: 'text/plain' });
    const version = properties.version ?? '';
    clock.set(new Date(start.getTime() + 60_000));

    const updated = await client().updateSecretProperties(name, version, { tags: { b: '2' }, enabled: false });
    expect(updated).toMatchObject({
      version,
      tags: { b: '2' },
      enabled: false,
      contentType: 'text/plain',
      createdOn: start,
      updatedOn: clock.now(),
    });

    const refused = await expectRestError(client().getSecret(name), 403, 'Forbidden');
    expect(refused.message).toBe('Operation get is not allowed on a disabled secret.');

    await client().updateSecretProperties(name, version, { enabled: true });
    expect((await client().getSecret(name)).properties.tags).toEqual({ b: '2' });
  });

  it('serves a secret past its expiry or before its not-before time, as Key Vault does', async () => {
    const expired = newName('expired');
    await client().setSecret(expired, 'late', { expiresOn: new Date(start.getTime() - DAY_MS) });
    const early = newName('early');
    await client().setSecret(early, 'early', { notBefore: new Date(start.getTime() + DAY_MS) });
    expect((await client().getSecret(expired)).value).toBe('late');
    expect((await client().getSecret(early)).value).toBe('early');
  });

  it('compares names case-insensitively and keeps the first spelling', async () => {
    const name = newName('Mixed-Case');
    await client().setSecret(name, 'first');
    await client().setSecret(name.toUpperCase(), 'second');

    const got = await client().getSecret(name.toLowerCase());
    expect(got.value).toBe('second');
    expect(got.name).toBe(name);
    expect(await collect(client().listPropertiesOfSecretVersions(name.toLowerCase()))).toHaveLength(2);
  });

  it('rejects invalid names, more than 15 tags and values over 25 KB with 400 BadParameter', async () => {
    const invalidName = await expectRestError(client().setSecret('bad_name', 'x'), 400, 'BadParameter');
    expect(invalidName.message).toContain('bad_name');
    await expectRestError(client().setSecret('a'.repeat(128), 'x'), 400, 'BadParameter');
    await expectRestError(client().getSecret('bad.name'), 400, 'BadParameter');

    const sixteenTags = Object.fromEntries(Array.from({ length: 16 }, (_, index) => [`tag${index}`, 'x']));
    await expectRestError(client().setSecret(newName('tags'), 'x', { tags: sixteenTags }), 400, 'BadParameter');

    const name = newName('large');
    await expectRestError(client().setSecret(name, 'x'.repeat(MAX_SECRET_VALUE_BYTES + 1)), 400, 'BadParameter');
    expect((await client().setSecret(name, 'x'.repeat(MAX_SECRET_VALUE_BYTES))).value).toHaveLength(MAX_SECRET_VALUE_BYTES);
  });

  it('answers unknown names and versions with 404 SecretNotFound', async () => {
    const unknown = newName('unknown');
    const error = await expectRestError(client().getSecret(unknown), 404, 'SecretNotFound');
    expect(error.message).toContain(`A secret with (name/id) ${unknown} was not found in this key vault.`);

    const known = newName('known');
    await client().setSecret(known, 'x');
    await expectRestError(client().getSecret(known, { version: '0'.repeat(32) }), 404, 'SecretNotFound');
    await expectRestError(client().updateSecretProperties(unknown, '0'.repeat(32), { enabled: false }), 404, 'SecretNotFound');
  });

  it('soft-deletes all versions, keeps the name taken until purged, then frees it', async () => {
    const name = newName('deleted');
    await client().setSecret(name, 'one');
    const current = await client().setSecret(name, 'two', { tags: { kind: 'sso' } });
    clock.set(new Date(start.getTime() + 5000));

    const poller = await client().beginDeleteSecret(name, { intervalInMs: 0 });
    const deleted = await poller.pollUntilDone();
    expect(deleted).toMatchObject({ name, recoveryId: `${emulator.url}/deletedsecrets/${name}`, deletedOn: clock.now() });
    expect(deleted.properties.version).toBe(current.properties.version);
    expect(deleted.value).toBeUndefined();

    const fetched = await client().getDeletedSecret(name);
    expect(fetched.properties.scheduledPurgeDate).toEqual(new Date(clock.now().getTime() + 90 * DAY_MS));
    expect(fetched.properties.tags).toEqual({ kind: 'sso' });

    await expectRestError(client().getSecret(name), 404, 'SecretNotFound');
    expect(await collect(client().listPropertiesOfSecretVersions(name))).toEqual([]);
    expect((await collect(client().listPropertiesOfSecrets())).map((properties) => properties.name)).not.toContain(name);
    const conflict = await expectRestError(client().setSecret(name, 'three'), 409, 'Conflict');
    expect(conflict.message).toContain('deleted but recoverable state');

    await client().purgeDeletedSecret(name);
    await expectRestError(client().getDeletedSecret(name), 404, 'SecretNotFound');
    await expectRestError(client().purgeDeletedSecret(name), 404, 'SecretNotFound');
    await client().setSecret(name, 'reborn');
    expect(await collect(client().listPropertiesOfSecretVersions(name))).toHaveLength(1);
  });

  it('purges a deleted secret by itself once its 90 days of retention are over', async () => {
    const name = newName('expiring');
    await client().setSecret(name, 'x');
    await (await client().beginDeleteSecret(name, { intervalInMs: 0 })).pollUntilDone();

    clock.set(new Date(start.getTime() + 90 * DAY_MS));
    await expectRestError(client().getDeletedSecret(name), 404, 'SecretNotFound');
    expect((await client().setSecret(name, 'y')).value).toBe('y');
  });

  describe('injected faults', () => {
    it("surfaces a 429 as a RestError with Key Vault's Throttled body and the Retry-After", async () => {
      const name = newName('throttled');
      const throttledClient = client();
      await throttledClient.setSecret(name, 'x');
      emulator.inject('GetSecret', { status: 429, retryAfterSeconds: 7 });

      const error = await expectRestError(throttledClient.getSecret(name), 429, 'Throttled');
      expect(error.response?.headers.get('retry-after')).toBe('7');
      expect(error.response?.headers.get('x-ms-keyvault-region')).toBe('local');
      expect((await throttledClient.getSecret(name)).value).toBe('x');
    });

    it('surfaces a 503 as a RestError', async () => {
      const unavailableClient = client();
      await unavailableClient.setSecret(newName('unavailable'), 'x');
      emulator.inject('SetSecret', { status: 503 });
      await expectRestError(unavailableClient.setSecret(newName('unavailable'), 'x'), 503);
    });

    it('holds an answer back until the client gives up', async () => {
      const name = newName('slow');
      const slowClient = client();
      await slowClient.setSecret(name, 'x');
      emulator.inject('GetSecret', { delayMs: 5000 });

      const started = Date.now();
      const error = await slowClient.getSecret(name, { abortSignal: AbortSignal.timeout(200) }).catch((thrown: unknown) => thrown);
      expect(error).toMatchObject({ name: 'AbortError' });
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('fails the client on a malformed body', async () => {
      const name = newName('malformed');
      const malformedClient = client();
      await malformedClient.setSecret(name, 'x');
      emulator.inject('GetSecret', { malformedBody: true });
      await expect(malformedClient.getSecret(name)).rejects.toThrow();
    });
  });

  it('keeps the vault in a state file across emulator instances', async () => {
    const directory = mkdtempSync(path.join(tmpdir(), 'keyvault-emulator-'));
    const stateFile = path.join(directory, 'vault.json');
    const first = new KeyVaultEmulator({ stateFile, clock: new TestClock(start) });
    const second = new KeyVaultEmulator({ stateFile, clock: new TestClock(start) });
    try {
      await first.start(tls);
      const kept = await secretClient(first, tls).setSecret('Persisted', 'kept', { tags: { kind: 'gateway' } });
      await secretClient(first, tls).setSecret('soft-deleted', 'gone');
      await (await secretClient(first, tls).beginDeleteSecret('soft-deleted', { intervalInMs: 0 })).pollUntilDone();
      await first.stop();

      await second.start(tls);
      const restored = await secretClient(second, tls).getSecret('persisted');
      expect(restored).toMatchObject({
        name: 'Persisted',
        value: 'kept',
        properties: { version: kept.properties.version, tags: { kind: 'gateway' } },
      });
      expect(restored.properties.vaultUrl).toBe(second.url);
      expect((await secretClient(second, tls).getDeletedSecret('soft-deleted')).name).toBe('soft-deleted');
    } finally {
      await Promise.all([first.stop(), second.stop()]);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
