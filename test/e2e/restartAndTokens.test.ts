import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { verifyGatewayToken } from '../../local/emulators/arm/apimCredentials';
import { LOCAL_USER } from '../../local/emulators/issuer/localIssuer';
import { type LocalBroker, PROJECT_DIR, startLocalBroker } from '../support/localBroker';
import { fetchWithin } from './support/http';

const run = promisify(execFile);

async function gatewayToken(broker: LocalBroker, authorization = broker.authorization) {
  const response = await fetchWithin(`${broker.api}/apim/apimService1/gateways/gw1/token`, { method: 'POST', headers: { authorization } });
  return { status: response.status, cache: response.headers.get('x-cache'), body: (await response.json()) as { value?: string } };
}

describe('a restarted broker', () => {
  it('finds its token in Key Vault (the emulator keeps it in a file) and makes no upstream call; the token stays valid upstream', async () => {
    // A folder that does not exist yet: the emulators create it.
    const stateDir = path.join(mkdtempSync(path.join(tmpdir(), 'broker-vault-')), 'not', 'yet');
    const stateFile = path.join(stateDir, 'vault.json');
    const gatewayKeysFile = path.join(stateDir, 'vault.gateway-keys.json');
    const first = await startLocalBroker({ env: { LOCAL_KEYVAULT_STATE_FILE: stateFile } });
    let minted: Awaited<ReturnType<typeof gatewayToken>>;
    try {
      minted = await gatewayToken(first);
      expect(minted).toMatchObject({ status: 200, cache: 'miss' });
    } finally {
      expect((await first.stop()).code).toBe(0);
    }
    expect(existsSync(stateFile)).toBe(true);
    const keysBefore = readFileSync(gatewayKeysFile, 'utf8');

    const second = await startLocalBroker({ env: { LOCAL_KEYVAULT_STATE_FILE: stateFile } });
    try {
      const served = await gatewayToken(second);
      expect(served).toMatchObject({ status: 200, cache: 'hit' });
      expect(served.body.value).toBe(minted.body.value);
      expect((await second.upstreamCalls()).arm?.Gateway_GenerateToken).toBe(0);
      // The restarted ARM emulator signs with the keys it kept, so the stored token verifies against them.
      expect(readFileSync(gatewayKeysFile, 'utf8')).toBe(keysBefore);
      const keys = (JSON.parse(keysBefore) as Record<string, Record<string, { primary: string; secondary: string }>>).apimService1?.gw1;
      expect(verifyGatewayToken('gw1', served.body.value ?? '', [keys?.primary ?? '', keys?.secondary ?? ''], new Date())).toBe(true);
    } finally {
      expect((await second.stop()).code).toBe(0);
    }
  }, 60_000);
});

describe('npm run token', () => {
  let broker: LocalBroker;
  beforeAll(async () => {
    broker = await startLocalBroker();
  }, 25_000);
  afterAll(() => broker.stop());

  const token = (...args: string[]) =>
    run(process.execPath, [path.join(PROJECT_DIR, 'dist', 'local', 'token.js'), ...args], {
      env: { ...process.env, PORT: String(broker.port) },
    });

  it('mints a caller token with only the roles asked for, against the running host', async () => {
    const { stdout } = await token('--roles', 'Broker.SsoToken');
    const authorization = `Bearer ${stdout.trim()}`;
    const sso = await fetchWithin(`${broker.api}/apim/apimService1/sso-token`, { method: 'POST', headers: { authorization } });
    expect(sso.status).toBe(200);
    const refused = await gatewayToken(broker, authorization);
    expect(refused.status).toBe(403);
  });

  it("mints a user's delegated token with --delegated, which the broker authorizes by role and refuses without its scope", async () => {
    const delegated = await token('--delegated', '--roles', 'Broker.GatewayToken');
    const claims = decodeJwt(delegated.stdout.trim());
    expect(claims).toMatchObject({ scp: 'access_as_user', oid: LOCAL_USER.oid });
    expect(claims).not.toHaveProperty('idtyp');
    expect((await gatewayToken(broker, `Bearer ${delegated.stdout.trim()}`)).status).toBe(200);
    const unscoped = await token('--delegated', '--scopes', 'User.Read', '--roles', 'Broker.GatewayToken');
    const refused = await fetchWithin(`${broker.api}/apim/apimService1/gateways/gw1/token`, {
      method: 'POST',
      headers: { authorization: `Bearer ${unscoped.stdout.trim()}` },
    });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_scope", scope="access_as_user", /);
  });

  it('explains its usage and exits 2 on bad arguments', async () => {
    await expect(token('--roles')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('usage: npm run token') });
  });
});
