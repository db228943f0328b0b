import { execFile, execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REQUIRED_SETTINGS } from '../../shared/config/requiredSettings';
import { PROJECT_DIR, startLocalBroker } from '../support/localBroker';
import { fetchWithin } from './support/http';

const run = promisify(execFile);

/** The environment of this process without any broker setting, as a fresh shell would have it. */
function withoutBrokerSettings(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(BROKER_|WEBSITE_INSTANCE_ID$)/.test(name)));
}

describe('npm start and the settings of the environment it runs in', () => {
  it('exits non-zero before serving, naming every invalid setting in one message', async () => {
    const started = startLocalBroker({ env: { BROKER_CLOCK_SKEW: 'banana', BROKER_ROLES_SSO_TOKEN: 'has space' } });
    await expect(started).rejects.toThrow(/exited before it was ready \(code 1, signal null\)/);
    const message = String(await started.catch((error: Error) => error.message));
    expect(message).toMatch(
      /The broker's configuration is invalid, so npm start serves nothing:\n {2}- BROKER_CLOCK_SKEW .*\n {2}- BROKER_ROLES_SSO_TOKEN /,
    );
    expect(message).not.toContain('Ready on');
  }, 30_000);

  it('exits non-zero on a port in use, and leaves no Azurite behind', async () => {
    const azurites = () =>
      execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(path.dirname(require.resolve('azurite/package.json')))).length;
    const first = await startLocalBroker();
    try {
      const running = azurites();
      const second = startLocalBroker({ port: String(first.port) });
      await expect(second).rejects.toThrow(/exited before it was ready \(code 1, signal null\)/);
      expect(String(await second.catch((error: Error) => error.message))).toMatch(/EADDRINUSE|address already in use/);
      expect(azurites()).toBe(running);
    } finally {
      await first.stop();
    }
  }, 60_000);

  it("applies the user's own settings, owns only those pointing at its emulators, and lists what it set", async () => {
    const broker = await startLocalBroker({
      env: {
        BROKER_MINT_LIMIT_PER_MINUTE: '2',
        BROKER_ARM_ENDPOINT: 'https://management.example.invalid',
        BROKER_ROTATION_TARGETS: JSON.stringify([{ service: 'apimService1', gatewayId: 'gw1' }]),
      },
    });
    try {
      const banner = broker.stdout();
      const set = /^Settings npm start set \(every other BROKER_\* setting comes from your environment\): (.+)$/m.exec(banner)?.[1];
      expect(set?.split(', ')).toEqual([
        'BROKER_APIM_SERVICES',
        'BROKER_ARM_ENDPOINT',
        'BROKER_LICENSESPRING_ENDPOINT',
        'BROKER_LICENSESPRING_API_KEY',
        'BROKER_LICENSESPRING_SHARED_KEY',
        'BROKER_LICENSESPRING_PUBLIC_KEY',
        'BROKER_KEY_VAULT_URL',
        'BROKER_AUTH_TENANT_ID',
        'BROKER_AUTH_AUDIENCES',
        'BROKER_LOCAL_ISSUER_URL',
        'BROKER_LOCAL_CA_CERT',
        'BROKER_LOCAL_BEARER_TOKEN',
        'AzureWebJobsStorage__blobServiceUri',
        'BROKER_AUDIT_HMAC_KEY',
      ]);
      // The user's rotation targets replace the sample's: one simulated gateway, for gw1.
      const gateways = await fetchWithin(`${broker.url}/_local/gateways`);
      expect(((await gateways.json()) as { gatewayId: string }[]).map((gateway) => gateway.gatewayId)).toEqual(['gw1']);
      expect(banner).toMatch(/^ {2}replacing your own \(they must point at the emulators\): BROKER_ARM_ENDPOINT$/m);
      expect(banner).not.toContain('management.example.invalid');

      // Each LicenseSpring SSO URL reaches the upstream, so each counts against the mint limit of 2 per minute.
      const ssoUrl = () =>
        fetchWithin(`${broker.api}/licensespring/sso-url?product=demo&customer_account_code=acme`, {
          headers: { authorization: broker.authorization },
        });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const response = await ssoUrl();
        statuses.push(response.status);
        await response.arrayBuffer();
      }
      expect(statuses).toEqual([200, 200, 429]);
      expect((await broker.upstreamCalls()).licensespring).toEqual({ SsoUrl: 2 });
    } finally {
      expect((await broker.stop()).code).toBe(0);
    }
  }, 30_000);
});

describe('the built function app under a host that starts it without its required settings', () => {
  it('logs every missing setting once at start, and answers 503 ConfigurationInvalid on every route but health', async () => {
    const { stdout, stderr } = await run(process.execPath, [path.join(PROJECT_DIR, 'test/fixtures/local-host/serveBuiltApp.js')], {
      env: withoutBrokerSettings(),
      timeout: 20_000,
    });
    const missing = Object.keys(REQUIRED_SETTINGS);
    const reports = stderr.split('\n').filter((line) => line.includes('"configurationInvalid"'));
    expect(reports).toHaveLength(1);
    expect(JSON.parse(reports[0] ?? '{}')).toMatchObject({ event: 'configurationInvalid', missingSettings: missing });

    const { health, ssoToken } = JSON.parse(stdout.trim()) as Record<string, { status: number; requestId: string; body: unknown }>;
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(ssoToken).toEqual({
      status: 503,
      requestId: 'sso-1',
      body: {
        error: {
          code: 'ConfigurationInvalid',
          message: `The broker's configuration is invalid; check the settings ${missing.join(', ')}. Request id: sso-1.`,
        },
      },
    });
  }, 30_000);

  it('loads no heavy module with its function files: the check at start reads setting names only', async () => {
    const functionFiles = readdirSync(path.join(PROJECT_DIR, 'dist/functions'))
      .filter((name) => name.endsWith('.js'))
      .map((name) => path.join(PROJECT_DIR, 'dist/functions', name));
    expect(functionFiles.length).toBeGreaterThanOrEqual(12);
    const script = `${functionFiles.map((file) => `require(${JSON.stringify(file)});`).join('')}
      process.stdout.write(JSON.stringify(Object.keys(require.cache)));`;
    const { stdout } = await run(process.execPath, ['-e', script], { env: withoutBrokerSettings() });
    const loaded = JSON.parse(stdout) as string[];
    expect(loaded).toContain(path.join(PROJECT_DIR, 'dist/shared/startupCheck.js'));
    expect(
      loaded.filter((file) =>
        /node_modules[\\/](zod|jose|@azure[\\/](identity|keyvault-secrets|storage-blob|core-rest-pipeline))[\\/]/.test(file),
      ),
    ).toEqual([]);
  });
});
