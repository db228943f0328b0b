import path from 'node:path';
import type { BrokerConfig } from '../shared/config/configSchema';
import { loadConfig } from '../shared/config/loadConfig';
import { ConfigurationInvalidError } from '../shared/errors';
import { MAX_BODY_BYTES } from '../shared/http/requestInput';
import { useProcessClock } from '../shared/time/processClock';
import { LOCAL_ROUTES, localControlRoutes } from './controlRoutes';
import { MAX_TOKEN_LIFETIME_SECONDS } from './emulators/issuer/tokenArgs';
import { simulatedGateways } from './gateways/gatewayFleet';
import {
  consoleHostLog,
  formatFunctionList,
  functionFilesFromPackageMain,
  type LocalHost,
  loadFunctionApp,
  readRoutePrefix,
  startLocalHost,
} from './host';
import { LOCAL_SAMPLE, LocalEnvironment, type LocalEnvironmentOptions } from './localEnvironment';
import { LocalClock } from './time/localClock';

/**
 * `npm start`: the upstream emulators, a local token issuer and Azurite on ephemeral HTTPS ports,
 * the broker configured for them, a simulated self-hosted gateway per rotation target, and the
 * compiled function app served on 127.0.0.1 by the local host, all on one clock. No Azure account needed.
 */
const PROJECT_DIR = path.resolve(__dirname, '..', '..');
/**
 * With `LOCAL_KEYVAULT_STATE_FILE`, the vault and the ARM emulator's gateway keys both survive a
 * restart (the keys in `<name>.gateway-keys.json` beside the vault file), so a stored token is
 * still one the upstream accepts.
 */
function persistence(vaultStateFile: string | undefined): LocalEnvironmentOptions {
  if (!vaultStateFile) return {};
  const { dir, name } = path.parse(vaultStateFile);
  return { keyVault: { stateFile: vaultStateFile }, arm: { gatewayKeysFile: path.join(dir, `${name}.gateway-keys.json`) } };
}

/**
 * npm start owns the settings that point at its emulators and overwrites them; for every other
 * setting the user's environment wins over the local sample's default. Returns the names it set.
 */
function applyLocalSettings(env: NodeJS.ProcessEnv, environment: LocalEnvironment): { set: string[]; replaced: string[] } {
  const owned = environment.emulatorSettings();
  const replaced = Object.keys(owned).filter((name) => env[name] && env[name] !== owned[name]);
  const defaults = Object.entries(environment.localDefaults()).filter(([name]) => !env[name]);
  Object.assign(env, owned, Object.fromEntries(defaults));
  return { set: [...Object.keys(owned), ...defaults.map(([name]) => name)], replaced };
}

/** Validates the settings as the broker will on first use, so a bad one stops npm start instead of failing requests. */
function checkConfiguration(env: NodeJS.ProcessEnv): BrokerConfig {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigurationInvalidError)) throw error;
    throw new Error(
      `The broker's configuration is invalid, so npm start serves nothing:\n${error.problems.map((line) => `  - ${line}`).join('\n')}`,
    );
  }
}

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? 7071 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not '${process.env.PORT}'`);

  // One clock for the broker (before any function file is invoked), the emulators, the gateways and the timers.
  const clock = new LocalClock({ frozen: process.env.LOCAL_CLOCK === 'frozen' });
  useProcessClock(clock);
  const environment = await LocalEnvironment.start({ ...persistence(process.env.LOCAL_KEYVAULT_STATE_FILE), storage: true, clock });
  try {
    await serve(environment, clock, port);
  } catch (error) {
    // Whatever fails once the emulators run (an invalid setting, a port in use) must not leave Azurite behind.
    await environment.stop();
    throw error;
  }
}

async function serve(environment: LocalEnvironment, clock: LocalClock, port: number): Promise<void> {
  const settings = applyLocalSettings(process.env, environment);
  const config: BrokerConfig = checkConfiguration(process.env);

  const gateways = simulatedGateways(config, environment, clock, consoleHostLog);
  const routePrefix = readRoutePrefix(path.join(PROJECT_DIR, 'host.json'));
  const registrations = loadFunctionApp(functionFilesFromPackageMain(PROJECT_DIR));
  let host: LocalHost | undefined;
  host = await startLocalHost({
    registrations,
    port,
    routePrefix,
    clock,
    maxBodyBytes: MAX_BODY_BYTES,
    functionAppDirectory: PROJECT_DIR,
    extraRoutes: localControlRoutes({
      environment,
      clock,
      gateways,
      log: consoleHostLog,
      timers: () => {
        if (!host) throw new Error('The local host has not started yet');
        return host.timers;
      },
    }),
  });
  const devToken = await environment.callerToken({ lifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS });

  const api = `${host.url}/${routePrefix}`;
  const local = (methods: string, route: string, what: string) => `  ${methods} ${host?.url}${route}   (${what})`;
  const storage = environment.storage;
  console.log(
    [
      'Token broker (local host) serving:',
      ...formatFunctionList(registrations, host.url, routePrefix).map((line) => `  ${line}`),
      local('GET', LOCAL_ROUTES.upstreamCalls, 'calls each emulator received'),
      local('POST', LOCAL_ROUTES.token, 'caller tokens for npm run token'),
      local('GET,POST', LOCAL_ROUTES.clock, 'the shared clock: {"advance": "P11D"} or {"set": "<ISO>"}'),
      local('POST,DELETE', LOCAL_ROUTES.faults, 'upstream faults'),
      local('POST', LOCAL_ROUTES.timers, 'pause or resume the timers'),
      local(
        'GET',
        LOCAL_ROUTES.gateways,
        `the simulated gateways: ${
          gateways
            .list()
            .map((gateway) => `${gateway.gatewayId} (${gateway.pickup})`)
            .join(', ') || 'none'
        }`,
      ),
      'Emulated upstreams (HTTPS, certificate generated at start):',
      `  arm            ${environment.arm.url}`,
      `  licensespring  ${environment.licenseSpring.url}`,
      `  keyvault       ${environment.keyVault.url}`,
      `  issuer         ${environment.issuer.url} (tenant ${process.env.BROKER_AUTH_TENANT_ID})`,
      ...(storage ? [`  storage        ${storage.url} (Azurite, pid ${storage.azurite.pid})`] : []),
      `Clock: ${clock.frozen ? 'frozen (LOCAL_CLOCK=frozen): it moves only through /_local/clock' : 'real time; /_local/clock moves it forward'}, now ${clock.now().toISOString()}`,
      `Settings npm start set (every other BROKER_* setting comes from your environment): ${settings.set.join(', ')}`,
      ...(settings.replaced.length > 0 ? [`  replacing your own (they must point at the emulators): ${settings.replaced.join(', ')}`] : []),
      `A caller token with every app role (${LOCAL_SAMPLE.roles.join(', ')}), valid 24 hours:`,
      `export TOKEN=${devToken}`,
      'Try:',
      `  curl -s -X POST -H "Authorization: Bearer $TOKEN" ${api}/apim/${LOCAL_SAMPLE.serviceAlias}/gateways/${LOCAL_SAMPLE.gateways[0]}/token`,
      `Ready on ${host.url}`,
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    gateways.stop();
    await host?.close();
    await environment.stop();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
