import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { loadConfig } from '../shared/config/loadConfig';
import { ConfigurationInvalidError } from '../shared/errors';
import { MAX_BODY_BYTES } from '../shared/http/requestInput';
import { MAX_TOKEN_LIFETIME_SECONDS, type TokenArgs } from './emulators/issuer/tokenArgs';
import { formatFunctionList, functionFilesFromPackageMain, loadFunctionApp, readRoutePrefix, startLocalHost } from './host';
import { readRequestBody } from './http/requestBody';
import { LOCAL_SAMPLE, LocalEnvironment, type LocalEnvironmentOptions } from './localEnvironment';

/**
 * `npm start`: the upstream emulators and a local token issuer on ephemeral HTTPS ports, the
 * broker configured for them, and the compiled function app served on 127.0.0.1 by the local
 * host. No Azure account needed.
 */
const PROJECT_DIR = path.resolve(__dirname, '..', '..');
const UPSTREAM_CALLS_PATH = '/_local/upstream-calls';
const LOCAL_TOKEN_PATH = '/_local/token';

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Local-only routes: what the emulators were asked, and caller tokens for `npm run token`. */
function localRoutes(environment: LocalEnvironment) {
  return (req: IncomingMessage, res: ServerResponse): boolean => {
    if (req.method === 'GET' && req.url === UPSTREAM_CALLS_PATH) {
      json(res, 200, environment.upstreamCalls());
      return true;
    }
    if (req.method === 'POST' && req.url === LOCAL_TOKEN_PATH) {
      void readRequestBody(req, MAX_BODY_BYTES)
        .then(async (body) => {
          const args = JSON.parse(body.toString('utf8')) as TokenArgs;
          json(res, 200, { token: await environment.callerToken(args) });
        })
        .catch((error: unknown) => json(res, 400, { error: { code: 'InvalidParameter', message: String(error) } }));
      return true;
    }
    return false;
  };
}

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
function checkConfiguration(env: NodeJS.ProcessEnv): void {
  try {
    loadConfig(env);
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

  const environment = await LocalEnvironment.start(persistence(process.env.LOCAL_KEYVAULT_STATE_FILE));
  const settings = applyLocalSettings(process.env, environment);
  try {
    checkConfiguration(process.env);
  } catch (error) {
    await environment.stop();
    throw error;
  }

  const routePrefix = readRoutePrefix(path.join(PROJECT_DIR, 'host.json'));
  const registrations = loadFunctionApp(functionFilesFromPackageMain(PROJECT_DIR));
  const host = await startLocalHost({
    registrations,
    port,
    routePrefix,
    maxBodyBytes: MAX_BODY_BYTES,
    functionAppDirectory: PROJECT_DIR,
    extraRoutes: localRoutes(environment),
  });
  const devToken = await environment.callerToken({ lifetimeSeconds: MAX_TOKEN_LIFETIME_SECONDS });

  const api = `${host.url}/${routePrefix}`;
  console.log(
    [
      'Token broker (local host) serving:',
      ...formatFunctionList(registrations, host.url, routePrefix).map((line) => `  ${line}`),
      `  GET ${host.url}${UPSTREAM_CALLS_PATH}   (calls each emulator received)`,
      `  POST ${host.url}${LOCAL_TOKEN_PATH}   (caller tokens for npm run token)`,
      'Emulated upstreams (HTTPS, certificate generated at start):',
      `  arm            ${environment.arm.url}`,
      `  licensespring  ${environment.licenseSpring.url}`,
      `  keyvault       ${environment.keyVault.url}`,
      `  issuer         ${environment.issuer.url} (tenant ${process.env.BROKER_AUTH_TENANT_ID})`,
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
    await host.close();
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
