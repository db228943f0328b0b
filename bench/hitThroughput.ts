import path from 'node:path';
import { spawn } from 'node:child_process';
import autocannon from 'autocannon';

const PROJECT = path.resolve(__dirname, '..', '..');

interface Target {
  name: string;
  method: 'GET' | 'POST';
  path: string;
}

const TARGETS: [Target, Target] = [
  { name: 'GET /api/health', method: 'GET', path: '/api/health' },
  { name: 'POST gateway token (cache hit)', method: 'POST', path: '/api/apim/apimService1/gateways/gw1/token' },
];

function run(url: string, target: Target, seconds: number): Promise<autocannon.Result> {
  return autocannon({ url: `${url}${target.path}`, method: target.method, connections: 10, duration: seconds });
}

/**
 * Issue 4: cache-hit throughput of the gateway-token route beside `GET /api/health` on the same
 * local host and client (autocannon), alternating A B A B so that both see the same machine.
 */
export async function hitThroughput(rounds = 2, seconds = 5): Promise<string[]> {
  const host = spawn(process.execPath, ['dist/local/start.js'], {
    cwd: PROJECT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let output = '';
      host.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const ready = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (ready?.[1]) resolve(ready[1]);
      });
      host.once('exit', () => reject(new Error(`local host exited:\n${output}`)));
    });
    host.stdout.resume();
    const warm = await fetch(`${url}${TARGETS[1].path}`, { method: 'POST' });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
    const rates: Record<string, number[]> = { [TARGETS[0].name]: [], [TARGETS[1].name]: [] };
    let non2xx = 0;
    for (let round = 0; round < rounds; round += 1) {
      for (const target of TARGETS) {
        const result = await run(url, target, seconds);
        non2xx += result.non2xx;
        rates[target.name]?.push(result.requests.average);
      }
    }
    const mean = (values: number[] = []) => values.reduce((a, b) => a + b, 0) / values.length;
    const health = mean(rates[TARGETS[0].name]);
    const hit = mean(rates[TARGETS[1].name]);
    return [
      `Throughput on the local host, autocannon 10 connections, ${rounds} x (A ${seconds} s, B ${seconds} s):`,
      `  ${TARGETS[0].name.padEnd(32)} ${health.toFixed(0)} req/s  rounds ${rates[TARGETS[0].name]?.map((r) => r.toFixed(0)).join(', ')}`,
      `  ${TARGETS[1].name.padEnd(32)} ${hit.toFixed(0)} req/s  rounds ${rates[TARGETS[1].name]?.map((r) => r.toFixed(0)).join(', ')}`,
      `  ratio gateway-token hit / health: ${(hit / health).toFixed(2)}   (non-2xx answers: ${non2xx})`,
    ];
  } finally {
    host.kill('SIGTERM');
  }
}
