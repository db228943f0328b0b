import { SecretClient } from '@azure/keyvault-secrets';
import { DEFAULT_ARM_SEED } from '../../../../local/emulators/arm/apimState';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { type Broker, buildBroker } from '../../../../shared/broker';
import { gatewayIdentity, secretName } from '../../../../shared/cache/tokenIdentity';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

const DAY = 86_400_000;
const SKEW = 60_000;
const HOUR = 3_600_000;
/** The default maximum: 30 days less the skew. */
const MAX_LIFETIME = 30 * DAY - SKEW;
/** A new broker's first vault read is two requests: the SecretClient's bare challenge request, then the read. */
const ONE_READ_ONE_WRITE = { GetSecret: 2, SetSecret: 1 };
const FLEET = Array.from({ length: 200 }, (_, i) => `fleet-gw-${i}`);
const seed = {
  ...DEFAULT_ARM_SEED,
  services: DEFAULT_ARM_SEED.services.map((service) => ({ ...service, gateways: ['gw.1', 'gw-1', ...FLEET] })),
};
/** Gateways no earlier test has touched: the vault keeps what every test stored. */
let fleetUsed = 0;
const freshGateways = (count: number) => {
  fleetUsed += count;
  return FLEET.slice(fleetUsed - count, fleetUsed);
};
const freshGateway = () => freshGateways(1).join('');

let env: LocalEnvironment;
let clock: TestClock;
let vault: SecretClient;

beforeAll(async () => {
  clock = new TestClock(new Date(), { advanceOnSleep: true });
  env = await startBrokerEnvironment({ arm: { seed, clock } });
  vault = new SecretClient(
    env.keyVault.url,
    { getToken: async () => ({ token: 'test', expiresOnTimestamp: Date.now() + 3_600_000 }) },
    {
      tlsOptions: { ca: env.tls.cert },
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    },
  );
});
afterAll(() => env.stop());
beforeEach(() => {
  clock.set(new Date());
  env.clearFaults();
  env.resetCalls();
});

/** A broker instance with its own, empty memory tier: what a new process or worker would have. */
function newBroker(settings: Record<string, string> = {}): Broker {
  return buildBroker(loadConfig({ ...process.env, ...settings }), { clock });
}

const call = () => ({ requestId: 'cache-test', log: recordingLogger(), chargeMint: () => () => undefined });
const gateway = (
  broker: Broker,
  gatewayId: string,
  extra: { minValidityMs?: number; expiry?: string; keyType?: 'primary' | 'secondary' } = {},
) => broker.apimTokens.gatewayToken({ alias: 'apimService1', gatewayId, keyType: extra.keyType ?? 'primary', ...extra }, call());
const armMints = () => env.arm.calls().Gateway_GenerateToken;

describe('token cache: memory in front of Key Vault (real SecretClient against the emulator)', () => {
  it('misses once, then hits from memory with no further upstream or vault call', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const first = await gateway(broker, id);
    expect(first.cache).toBe('miss');
    const vaultCalls = env.keyVault.calls();
    const second = await gateway(broker, id);
    expect(second).toEqual({ ...first, cache: 'hit' });
    expect(armMints()).toBe(1);
    expect(env.keyVault.calls()).toEqual(vaultCalls);
  });

  it('finds the token in Key Vault after a restart and makes no upstream call', async () => {
    const id = freshGateway();
    const minted = await gateway(newBroker(), id);
    const restarted = await gateway(newBroker(), id);
    expect(restarted).toEqual({ ...minted, cache: 'hit' });
    expect(armMints()).toBe(1);
  });

  it('stores one secret per identity, a new version per token, with expiry, content type and tags', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const first = await gateway(broker, id, { expiry: new Date(clock.now().getTime() + 2 * DAY).toISOString() });
    const second = await gateway(broker, id, { expiry: new Date(clock.now().getTime() + 3 * DAY).toISOString() });
    const service = broker.apimTokens.service('apimService1');
    const name = secretName(gatewayIdentity(service, id, 'primary'));
    const stored = await vault.getSecret(name);
    expect(stored.value).toBe(`GatewayKey ${second.value}`);
    expect(stored.properties.expiresOn).toEqual(second.expiresOn);
    expect(stored.properties.contentType).toBe('text/plain; kind=apim-gateway-token; format=gateway-key');
    expect(stored.properties.tags).toEqual({
      kind: 'gateway',
      service: 'apimService1',
      gateway: id,
      keyType: 'primary',
      expiry: second.expiresOn.toISOString(),
      issuer: 'token-broker',
    });
    const versions = [];
    for await (const version of vault.listPropertiesOfSecretVersions(name)) versions.push(version);
    expect(versions).toHaveLength(2);
    expect(first.value).not.toBe(second.value);
  });

  it('stores the raw token when configured, and reads either form back', async () => {
    const minted = await gateway(newBroker({ BROKER_STORED_TOKEN_FORMAT: 'raw' }), 'gw-1');
    const service = newBroker().apimTokens.service('apimService1');
    expect((await vault.getSecret(secretName(gatewayIdentity(service, 'gw-1', 'primary')))).value).toBe(minted.value);
    expect((await gateway(newBroker(), 'gw-1')).value).toBe(minted.value);
  });

  it('keeps gw.1 and gw-1, and the two key types, in separate secrets', async () => {
    const broker = newBroker();
    const dotted = await gateway(broker, 'gw.1');
    const dashed = await gateway(broker, 'gw-1');
    const secondary = await gateway(broker, 'gw.1', { keyType: 'secondary' });
    expect(new Set([dotted.value, dashed.value, secondary.value]).size).toBe(3);
    expect((await gateway(newBroker(), 'gw.1')).value).toBe(dotted.value);
  });

  it('serves a cached token until it has less than minValidity plus the skew left (injected clock)', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const minted = await gateway(broker, id, { minValidityMs: DAY });
    const lastServable = minted.expiresOn.getTime() - DAY - SKEW;
    clock.set(new Date(lastServable));
    expect(await gateway(broker, id, { minValidityMs: DAY })).toMatchObject({ value: minted.value, cache: 'hit' });
    clock.advance(1000);
    const renewed = await gateway(broker, id, { minValidityMs: DAY });
    expect(renewed.cache).toBe('miss');
    expect(renewed.value).not.toBe(minted.value);
    expect(armMints()).toBe(2);
  });

  it('mints for the maximum lifetime when the default cannot cover minValidity plus the skew, and that token serves the next request', async () => {
    const broker = newBroker({ BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME: 'P2D' });
    const id = freshGateway();
    const short = await gateway(broker, id, { minValidityMs: DAY });
    expect(short.expiresOn.getTime() - clock.now().getTime()).toBe(2 * DAY);
    const longer = await gateway(broker, id, { minValidityMs: 10 * DAY });
    expect(longer.cache).toBe('miss');
    expect(longer.expiresOn.getTime() - clock.now().getTime()).toBe(MAX_LIFETIME);
    clock.advance(1000);
    expect(await gateway(broker, id, { minValidityMs: 10 * DAY })).toMatchObject({ value: longer.value, cache: 'hit' });
    expect(armMints()).toBe(2);
  });

  it('serves the longest minValidity accepted (maximum less skew less one hour) for an hour from one mint', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const longest = MAX_LIFETIME - SKEW - HOUR;
    const minted = await gateway(broker, id, { minValidityMs: longest });
    clock.advance(HOUR);
    expect(await gateway(broker, id, { minValidityMs: longest })).toMatchObject({ value: minted.value, cache: 'hit' });
    expect(armMints()).toBe(1);
    await expect(gateway(broker, id, { minValidityMs: longest + 1000 })).rejects.toMatchObject({
      status: 400,
      target: 'minValidity',
      message: expect.stringContaining('P29DT22H58M'),
    });
    expect(armMints()).toBe(1);
  });

  it('always mints for an explicit expiry, but a shorter one never displaces the longer-lived cached token', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const cached = await gateway(broker, id);
    const setsBefore = env.keyVault.calls().SetSecret;
    const explicit = await gateway(broker, id, { expiry: new Date(clock.now().getTime() + 5 * DAY).toISOString() });
    expect(explicit).toMatchObject({ cache: 'miss', expiresOn: new Date(clock.now().getTime() + 5 * DAY) });
    expect(explicit.value).not.toBe(cached.value);
    expect(armMints()).toBe(2);
    expect(env.keyVault.calls().SetSecret).toBe(setsBefore);
    expect(await gateway(broker, id)).toMatchObject({ value: cached.value, cache: 'hit' });
    expect(await gateway(newBroker(), id)).toMatchObject({ value: cached.value, cache: 'hit' });
  });

  it('keeps an explicit expiry that outlives the cached token, in memory and as the newest Key Vault version', async () => {
    const broker = newBroker({ BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME: 'P2D', BROKER_GATEWAY_MIN_VALIDITY: 'PT1H' });
    const id = freshGateway();
    await gateway(broker, id);
    const explicit = await gateway(broker, id, { expiry: new Date(clock.now().getTime() + 5 * DAY).toISOString() });
    expect(await gateway(broker, id)).toMatchObject({ value: explicit.value, cache: 'hit' });
    expect(await gateway(newBroker(), id)).toMatchObject({ value: explicit.value, cache: 'hit' });
  });

  it("treats gateway IDs that differ only in case as one gateway: one mint, one secret, the caller's spelling echoed", async () => {
    const broker = newBroker();
    const id = freshGateway();
    const upper = await gateway(broker, id.toUpperCase());
    const lower = await gateway(newBroker(), id);
    expect(upper).toMatchObject({ gatewayId: id.toUpperCase(), cache: 'miss' });
    expect(lower).toMatchObject({ gatewayId: id, value: upper.value, cache: 'hit' });
    expect(armMints()).toBe(1);
    const service = broker.apimTokens.service('apimService1');
    expect(secretName(gatewayIdentity(service, id.toUpperCase(), 'primary'))).toBe(secretName(gatewayIdentity(service, id, 'primary')));
  });

  it('keeps at most the configured number of tokens in memory, the least recently used going first', async () => {
    const broker = newBroker({ BROKER_MEMORY_MAX_TOKENS: '2' });
    const [a, b, c] = freshGateways(3).map((id) => id);
    for (const id of [a, b, c]) await gateway(broker, id ?? '');
    const reads = env.keyVault.calls().GetSecret;
    expect(await gateway(broker, c ?? '')).toMatchObject({ cache: 'hit' });
    expect(await gateway(broker, b ?? '')).toMatchObject({ cache: 'hit' });
    expect(env.keyVault.calls().GetSecret).toBe(reads);
    expect(await gateway(broker, a ?? '')).toMatchObject({ cache: 'hit' });
    expect(env.keyVault.calls().GetSecret).toBe(reads + 1);
    expect(armMints()).toBe(3);
  });

  it('never serves an SSO token after issue + 5 minutes, keeps SSO tokens in memory only', async () => {
    const broker = newBroker();
    const first = await broker.apimTokens.ssoToken('apimService1', call());
    expect(first.expiresOn.getTime() - clock.now().getTime()).toBe(5 * 60_000);
    clock.advance(2 * 60_000);
    expect(await broker.apimTokens.ssoToken('apimService1', call())).toEqual({ ...first, cache: 'hit' });
    clock.advance(61_000);
    const renewed = await broker.apimTokens.ssoToken('apimService1', call());
    expect(renewed.cache).toBe('miss');
    expect(renewed.expiresOn.getTime()).toBe(clock.now().getTime() + 5 * 60_000);
    expect(env.keyVault.calls()).toEqual(Object.fromEntries(Object.keys(env.keyVault.calls()).map((operation) => [operation, 0])));
    expect(env.arm.calls().ApiManagementService_GetSsoToken).toBe(2);
  });
});

describe('token cache when Key Vault fails', () => {
  it.each([
    ['unreachable (503)', { status: 503 }],
    ['throttling (429)', { status: 429, retryAfterSeconds: 30 }],
    ['refusing the identity (403)', { status: 403 }],
    ['slow (past the deadline)', { delayMs: 1_500 }],
  ])('serves from upstream when the vault is %s, and counts it', async (_name, fault) => {
    const broker = newBroker({ BROKER_KEY_VAULT_TIMEOUT_MS: '300' });
    await vault.getSecret('warm-up').catch(() => undefined);
    env.keyVault.inject('GetSecret', fault);
    const log = recordingLogger();
    const token = await broker.apimTokens.gatewayToken(
      { alias: 'apimService1', gatewayId: freshGateway(), keyType: 'primary' },
      { requestId: 'r', log, chargeMint: () => () => undefined },
    );
    expect(token.cache).toBe('miss');
    expect(broker.tokenCache.storeFailures().read).toBe(1);
    expect(log.events).toEqual([expect.objectContaining({ event: 'tokenStoreUnavailable', operation: 'read', level: 'warn' })]);
    expect(JSON.stringify(log.events)).not.toContain(token.value);
  });

  it('never loses a minted token when the vault write fails: served, and kept in memory', async () => {
    const broker = newBroker();
    env.keyVault.inject('SetSecret', { status: 500, times: 5 });
    const id = freshGateway();
    const minted = await gateway(broker, id);
    expect(minted.cache).toBe('miss');
    expect(broker.tokenCache.storeFailures().write).toBe(1);
    expect(await gateway(broker, id)).toMatchObject({ value: minted.value, cache: 'hit' });
    expect(armMints()).toBe(1);
  });

  it('logs a failing vault once per interval but counts every failure', async () => {
    const broker = newBroker();
    env.keyVault.inject('GetSecret', { status: 503, times: 10 });
    const log = recordingLogger();
    for (const gatewayId of freshGateways(3)) {
      await broker.apimTokens.gatewayToken(
        { alias: 'apimService1', gatewayId, keyType: 'primary' },
        { requestId: 'r', log, chargeMint: () => () => undefined },
      );
    }
    expect(broker.tokenCache.storeFailures().read).toBe(3);
    expect(log.events.filter((event) => event.event === 'tokenStoreUnavailable')).toHaveLength(1);
  });
});

describe('single-flight under load (bounded, 127.0.0.1)', () => {
  it('1,000 concurrent identical requests make exactly 1 upstream call, 1 vault read and 1 vault write; 1 says miss', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => gateway(broker, id)));
    expect(new Set(tokens.map((token) => token.value)).size).toBe(1);
    expect(tokens.filter((token) => token.cache === 'miss')).toHaveLength(1);
    expect(armMints()).toBe(1);
    expect(env.keyVault.calls()).toMatchObject(ONE_READ_ONE_WRITE);
  });

  it('concurrent requests that differ only in minValidity share one mint when its token satisfies them all', async () => {
    const broker = newBroker();
    const id = freshGateway();
    const asks = [undefined, HOUR, DAY, 10 * DAY, 20 * DAY];
    const tokens = await Promise.all(
      asks.map((minValidityMs) => gateway(broker, id, minValidityMs === undefined ? {} : { minValidityMs })),
    );
    expect(new Set(tokens.map((token) => token.value)).size).toBe(1);
    expect(tokens.map((token) => token.cache).sort()).toEqual(['hit', 'hit', 'hit', 'hit', 'miss']);
    expect(armMints()).toBe(1);
    expect(env.keyVault.calls()).toMatchObject(ONE_READ_ONE_WRITE);
  });

  it('a request whose minValidity the flight in progress cannot satisfy mints once more, after it', async () => {
    const broker = newBroker({ BROKER_GATEWAY_TOKEN_DEFAULT_LIFETIME: 'P2D' });
    const id = freshGateway();
    const [short, long] = await Promise.all([
      gateway(broker, id, { minValidityMs: HOUR }),
      gateway(broker, id, { minValidityMs: 10 * DAY }),
    ]);
    expect(short.expiresOn.getTime() - clock.now().getTime()).toBe(2 * DAY);
    expect(long.expiresOn.getTime() - clock.now().getTime()).toBe(MAX_LIFETIME);
    expect([short.cache, long.cache]).toEqual(['miss', 'miss']);
    expect(armMints()).toBe(2);
  });

  it('1,000 concurrent requests over 50 gateways make exactly 50 upstream calls', async () => {
    const broker = newBroker();
    const fifty = freshGateways(50);
    const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => gateway(broker, fifty[i % 50] ?? 'none')));
    expect(new Set(tokens.map((token) => token.value)).size).toBe(50);
    expect(armMints()).toBe(50);
  });

  it('shares an upstream failure with every waiter and does not cache it', async () => {
    const broker = newBroker();
    env.arm.inject('Gateway_GenerateToken', { status: 500, times: 3 });
    const id = freshGateway();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => gateway(broker, id)));
    expect(results.map((result) => result.status)).toEqual(Array(20).fill('rejected'));
    expect(armMints()).toBe(3);
    expect((await gateway(broker, id)).cache).toBe('miss');
    expect(armMints()).toBe(4);
  });

  it('remembers a gateway ARM answers 404 for: concurrent and repeated requests reach ARM once, until the TTL passes', async () => {
    const broker = newBroker();
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => gateway(broker, 'no-such-gateway')));
    for (let i = 0; i < 5; i += 1) await expect(gateway(broker, 'No-Such-Gateway')).rejects.toMatchObject({ status: 404 });
    expect(results.map((result) => result.status)).toEqual(Array(20).fill('rejected'));
    expect(armMints()).toBe(1);
    clock.advance(29_000);
    await expect(gateway(broker, 'no-such-gateway', { keyType: 'secondary' })).rejects.toMatchObject({ status: 404 });
    expect(armMints()).toBe(1);
    clock.advance(1_000);
    await expect(gateway(broker, 'no-such-gateway')).rejects.toMatchObject({ status: 404 });
    expect(armMints()).toBe(2);
  });
});
