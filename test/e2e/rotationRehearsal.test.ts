import { useLocalBroker } from '../support/localBroker';
import { fetchWithin } from './support/http';

/** `npm start` with its clock frozen (the e2e default): nothing happens but what the test asks for. */
const broker = useLocalBroker();

const ROLES = ['Broker.SsoToken', 'Broker.GatewayToken', 'Broker.AuthorizationServer.Read', 'Broker.LicenseSpring.SsoUrl', 'Broker.Rotate'];

async function call(method: string, path: string, options: { authorization?: string; body?: unknown } = {}) {
  const response = await fetchWithin(`${broker().url}${path}`, {
    method,
    headers: options.authorization ? { authorization: options.authorization } : {},
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const gateways = async () =>
  Object.fromEntries(((await call('GET', '/_local/gateways')).body as any[]).map((gateway) => [gateway.gatewayId, gateway]));

describe('rehearsing rotation against npm start: the run, the clock, the timer catch-up, the gateways', () => {
  it('rotates on the timer after 11 days, and the reloader gateway is connected with the new token', async () => {
    const run = await call('POST', '/api/rotation/run', { authorization: broker().authorization });
    expect(run.status).toBe(200);
    expect(run.body.targets.map((target: any) => [target.gatewayId, target.action, target.keyType])).toEqual([
      ['gw1', 'rotated', 'primary'],
      ['gw2', 'rotated', 'primary'],
    ]);
    expect((await call('GET', '/api/ready')).status).toBe(200);

    // The gateways start two minutes in (a pod waiting for its secret retries on the CSI poll).
    await call('POST', '/_local/clock', { body: { advance: 'PT2M' } });
    expect(await gateways()).toMatchObject({
      gw1: { connected: true, keyType: 'primary', pickup: 'reloader', tokenExpiresOn: run.body.targets[0].expiresOn },
      gw2: { connected: true, keyType: 'primary', pickup: 'restart', restartEvery: 'P7D' },
    });

    const start = Date.parse((await call('GET', '/_local/clock')).body.now);
    const moved = await call('POST', '/_local/clock', { body: { advance: 'P11D' } });
    expect(moved).toEqual({ status: 200, body: { now: new Date(start + 11 * 86_400_000).toISOString() } });

    // The banner's caller token (24 hours) has expired on the shared clock; a fresh one is minted on it.
    expect((await call('GET', '/api/apim/apimService1/gateways/gw1/token-status', { authorization: broker().authorization })).status).toBe(
      401,
    );
    const minted = await call('POST', '/_local/token', { body: { roles: ROLES } });
    const authorization = `Bearer ${minted.body.token}`;
    const status = await call('GET', '/api/apim/apimService1/gateways/gw1/token-status', { authorization });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ gatewayId: 'gw1', keyType: 'secondary', lastRun: { action: 'rotated' } });
    expect(Date.parse(status.body.rotatedAt)).toBe(start + 11 * 86_400_000);
    expect(broker().stdout()).toMatch(/rotationTimer: Timer fired for \S+ \(past due\)/);

    expect((await gateways()).gw1).toMatchObject({
      connected: true,
      keyType: 'secondary',
      tokenExpiresOn: status.body.expiresOn,
      pickedUpAt: new Date(start + 11 * 86_400_000).toISOString(),
    });
    expect((await call('GET', '/api/ready')).status).toBe(200);

    const calls = await broker().upstreamCalls();
    // Two runs over two targets: a mint, a lease and its release each.
    expect(calls.arm?.Gateway_GenerateToken).toBe(4);
    expect(calls.storage).toMatchObject({ Blob_AcquireLease: 4, Blob_ReleaseLease: 4 });
    expect(calls.arm?.Gateway_Configuration).toBeGreaterThanOrEqual(4);

    // No published token reaches the local host's output.
    const token = await call('POST', '/api/apim/apimService1/gateways/gw1/token', { authorization });
    expect(token.status).toBe(200);
    expect(broker().stdout() + broker().stderr()).not.toContain(token.body.value);
  });
});
