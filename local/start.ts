import path from 'node:path';
import { functionFilesFromPackageMain, formatFunctionList, loadFunctionApp, readRoutePrefix, startLocalHost } from './host';
import { LOCAL_SAMPLE, LocalEnvironment } from './localEnvironment';

/**
 * `npm start`: the upstream emulators on ephemeral HTTPS ports, the broker configured for them,
 * and the compiled function app served on 127.0.0.1 by the local host. No Azure account needed.
 */
const PROJECT_DIR = path.resolve(__dirname, '..', '..');
const UPSTREAM_CALLS_PATH = '/_local/upstream-calls';

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? 7071 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not '${process.env.PORT}'`);

  const vaultStateFile = process.env.LOCAL_KEYVAULT_STATE_FILE;
  const environment = await LocalEnvironment.start(vaultStateFile ? { keyVault: { stateFile: vaultStateFile } } : {});
  Object.assign(process.env, environment.brokerSettings());

  const routePrefix = readRoutePrefix(path.join(PROJECT_DIR, 'host.json'));
  const registrations = loadFunctionApp(functionFilesFromPackageMain(PROJECT_DIR));
  const host = await startLocalHost({
    registrations,
    port,
    routePrefix,
    extraRoutes: (req, res) => {
      if (req.method !== 'GET' || req.url !== UPSTREAM_CALLS_PATH) return false;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(JSON.stringify(environment.upstreamCalls()));
      return true;
    },
  });

  const api = `${host.url}/${routePrefix}`;
  console.log(
    [
      'Token broker (local host) serving:',
      ...formatFunctionList(registrations, host.url, routePrefix).map((line) => `  ${line}`),
      `  GET ${host.url}${UPSTREAM_CALLS_PATH}   (calls each emulator received)`,
      'Emulated upstreams (HTTPS, certificate generated at start):',
      `  arm            ${environment.arm.url}`,
      `  licensespring  ${environment.licenseSpring.url}`,
      `  keyvault       ${environment.keyVault.url}`,
      'Try:',
      `  curl -s -X POST ${api}/apim/${LOCAL_SAMPLE.serviceAlias}/gateways/${LOCAL_SAMPLE.gateways[0]}/token`,
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
