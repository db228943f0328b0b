import type * as AuthorizationServerFunction from '../../../functions/authorizationServer';
import type * as GatewayTokenFunction from '../../../functions/gatewayToken';
import type { LocalEnvironment } from '../../../local/localEnvironment';
import { startBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';
import { TestClock } from '../../support/testClock';

let env: LocalEnvironment;
/** ARM's own time: a delay injected into ARM lasts until the test moves this clock. */
let armClock: TestClock;

beforeAll(async () => {
  armClock = new TestClock();
  env = await startBrokerEnvironment({ arm: { clock: armClock } }, { BROKER_MINT_LIMIT_PER_MINUTE: '2' });
});
afterAll(() => env.stop());
beforeEach(() => {
  env.clearFaults();
  env.resetCalls();
});

/** A new instance (empty memory) of the function modules, as a new worker would load them. */
const freshFunctions = () =>
  freshInstance(() => ({
    gateway: (require('../../../functions/gatewayToken') as typeof GatewayTokenFunction).gatewayTokenHandler,
    authorizationServer: (require('../../../functions/authorizationServer') as typeof AuthorizationServerFunction)
      .authorizationServerHandler,
  }));

type Functions = ReturnType<typeof freshFunctions>;

const gatewayToken = (functions: Functions, token: string, gatewayId: string, body: unknown = {}) =>
  invokeHandler(functions.gateway, {
    method: 'POST',
    params: { service: 'apimService1', gatewayId },
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const explicitExpiry = () => ({ expiry: new Date(Date.now() + 86_400_000).toISOString() });
let callers = 0;
const newCaller = () => {
  callers += 1;
  return env.callerToken({ oid: `aaaaaaaa-0000-0000-0000-${String(callers).padStart(12, '0')}` });
};
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('per-caller mint limit', () => {
  it('answers 429 with Retry-After once a caller has used its mints, with no Key Vault read and no upstream call', async () => {
    const functions = freshFunctions();
    const caller = await newCaller();
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(200);
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(200);
    const arm = env.arm.calls();
    const vault = env.keyVault.calls();
    const limited = await gatewayToken(functions, caller, 'gw2');
    expect(limited.status).toBe(429);
    expect(limited.json.error.code).toBe('TooManyRequests');
    expect(Number(limited.headers['retry-after'])).toBe(30);
    expect(env.arm.calls()).toEqual(arm);
    expect(env.keyVault.calls()).toEqual(vault);
    expect(limited.logs.join('\n')).toContain('"outcome":"denied"');
  });

  it('does not limit cache hits, from memory or from Key Vault', async () => {
    const stored = await gatewayToken(freshFunctions(), await newCaller(), 'gw2');
    expect(stored.headers['x-cache']).toBe('miss');
    const caller = await newCaller();
    const functions = freshFunctions();
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(200);
    const fromVault = await gatewayToken(functions, caller, 'gw2');
    expect(fromVault).toMatchObject({ status: 200, headers: { 'x-cache': 'hit' } });
    for (let i = 0; i < 5; i += 1) expect((await gatewayToken(functions, caller, 'gw2')).headers['x-cache']).toBe('hit');
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(200);
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(429);
  });

  it('charges only the request that starts a flight: a caller over its limit that joins one is served', async () => {
    const functions = freshFunctions();
    const owner = await newCaller();
    const exhausted = await newCaller();
    await gatewayToken(functions, exhausted, 'gw1', explicitExpiry());
    await gatewayToken(functions, exhausted, 'gw1', explicitExpiry());
    const mintsBefore = env.arm.calls().Gateway_GenerateToken;
    env.arm.inject('Gateway_GenerateToken', { delayMs: 1_000 });
    const owned = gatewayToken(functions, owner, 'gw2', { keyType: 'secondary' });
    while (env.arm.calls().Gateway_GenerateToken === mintsBefore) await settle();
    const joined = gatewayToken(functions, exhausted, 'gw2', { keyType: 'secondary' });
    await settle();
    armClock.advance(1_000);
    const [ownerAnswer, joinerAnswer] = await Promise.all([owned, joined]);
    expect(ownerAnswer).toMatchObject({ status: 200, headers: { 'x-cache': 'miss' } });
    expect(joinerAnswer).toMatchObject({ status: 200, headers: { 'x-cache': 'hit' } });
    expect(joinerAnswer.json.value).toBe(ownerAnswer.json.value);
    expect(env.arm.calls().Gateway_GenerateToken).toBe(mintsBefore + 1);
  });

  it('counts authorization-server reads that miss memory; reads from memory are free', async () => {
    const functions = freshFunctions();
    const caller = await newCaller();
    const read = () =>
      invokeHandler(functions.authorizationServer, {
        params: { service: 'apimService1', authsid: 'newauthServer2' },
        headers: { authorization: `Bearer ${caller}` },
      });
    for (let i = 0; i < 3; i += 1) expect((await read()).status).toBe(200);
    expect(env.arm.calls().AuthorizationServer_Get).toBe(1);
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(200);
    expect((await gatewayToken(functions, caller, 'gw1', explicitExpiry())).status).toBe(429);
  });

  it('counts each caller separately', async () => {
    expect((await gatewayToken(freshFunctions(), await newCaller(), 'gw1', explicitExpiry())).status).toBe(200);
  });
});
