import { readdirSync } from 'node:fs';
import path from 'node:path';
import { LocalEnvironment } from '../local/localEnvironment';
import { formatMs, interleave, median, timeProcess } from './stats';

const DIST = path.resolve(__dirname, '..');
const FUNCTION_FILES = readdirSync(path.join(DIST, 'functions'))
  .filter((file) => file.endsWith('.js'))
  .map((file) => path.join(DIST, 'functions', file));

const requireAll = (modules: string[]) => modules.map((module) => `require(${JSON.stringify(module)});`).join('');

/**
 * Issue 3's cold-start figures: (a) loading the compiled function modules against `node -e 0`,
 * `@azure/functions` alone and the bare Azure SDK trio; (b) a fresh process's first answered
 * gateway-token request, in process, against emulators already running in this process.
 */
export async function coldStart(rounds = 10): Promise<string[]> {
  const sdkTrio = ['@azure/functions', '@azure/identity', '@azure/keyvault-secrets'];
  const environment = await LocalEnvironment.start();
  const brokerEnv = { ...process.env, ...environment.brokerSettings(), BENCH_CALLER_TOKEN: await environment.callerToken() };
  try {
    const samples = await interleave(
      {
        'node -e 0': () => timeProcess(['-e', '0']),
        '@azure/functions alone': () => timeProcess(['-e', requireAll(['@azure/functions'])]),
        'compiled function modules': () => timeProcess(['-e', requireAll(FUNCTION_FILES)]),
        'bare SDK require (functions + identity + keyvault-secrets)': () => timeProcess(['-e', requireAll(sdkTrio)]),
        'first gateway-token request, in process': () => timeProcess([path.join(__dirname, 'firstGatewayToken.js')], brokerEnv),
      },
      rounds,
    );
    const baseline = median(samples['node -e 0'] ?? []);
    const sdk = median(samples['bare SDK require (functions + identity + keyvault-secrets)'] ?? []);
    return [
      `Cold start, medians of ${rounds} fresh processes (interleaved):`,
      ...Object.entries(samples).map(([name, values]) => {
        const m = median(values);
        return `  ${name.padEnd(60)} ${formatMs(m).padStart(10)}  ${(m / baseline).toFixed(2)}x node -e 0  ${(m / sdk).toFixed(2)}x bare SDK require`;
      }),
    ];
  } finally {
    await environment.stop();
  }
}
