import { spawnSync } from 'node:child_process';
import { cacheHitLatency } from './cacheHitLatency';
import { coldStart } from './coldStart';
import { hitThroughput } from './hitThroughput';
import { mixedLoad } from './mixedLoad';
import { startup } from './startup';

const BENCHMARKS: Record<string, () => Promise<string[]>> = { startup, coldStart, cacheHitLatency, hitThroughput, mixedLoad };

/**
 * `npm run bench [name ...]`: the benchmarks the issues ask for (all by default). Each runs in a
 * process of its own, so none inherits another's broker instance, cache or warmed-up modules.
 */
async function main(): Promise<void> {
  const chosen = process.argv.slice(2);
  const unknown = chosen.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARKS).join(', ')}`);
  if (chosen.length === 1) {
    for (const line of await (BENCHMARKS[chosen[0] as string] as () => Promise<string[]>)()) console.log(line);
    return;
  }
  for (const name of chosen.length > 0 ? chosen : Object.keys(BENCHMARKS)) {
    const child = spawnSync(process.execPath, [__filename, name], { stdio: ['ignore', 'inherit', 'pipe'] });
    if (child.status !== 0) throw new Error(`benchmark ${name} failed:\n${child.stderr.toString()}`);
    console.log('');
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
