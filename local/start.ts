import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { MAX_TOKEN_LIFETIME_SECONDS, type TokenArgs } from './emulators/issuer/tokenArgs';
import { formatFunctionList, functionFilesFromPackageMain, loadFunctionApp, readRoutePrefix, startLocalHost } from './host';
import { readRequestBody } from './http/requestBody';
import { LOCAL_SAMPLE, LocalEnvironment } from './localEnvironment';

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
      void readRequestBody(req)
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

async function main(): Promise<void> {
  const port = process.env.PORT === undefined ? 7071 : Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT must be a port number, not '${process.env.PORT}'`);

  const vaultStateFile = process.env.LOCAL_KEYVAULT_STATE_FILE;
  const environment = await LocalEnvironment.start({
    ...(vaultStateFile ? { keyVault: { stateFile: vaultStateFile } } : {}),
    ...(process.env.BROKER_AUDIT_HMAC_KEY ? { auditKey: process.env.BROKER_AUDIT_HMAC_KEY } : {}),
  });
  Object.assign(process.env, environment.brokerSettings());

  const routePrefix = readRoutePrefix(path.join(PROJECT_DIR, 'host.json'));
  const registrations = loadFunctionApp(functionFilesFromPackageMain(PROJECT_DIR));
  const host = await startLocalHost({ registrations, port, routePrefix, extraRoutes: localRoutes(environment) });
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
      `  issuer         ${environment.issuer.url} (tenant ${environment.brokerSettings().BROKER_AUTH_TENANT_ID})`,
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
