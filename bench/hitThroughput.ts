import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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

function run(url: string, target: Target, seconds: number, authorization: string): Promise<autocannon.Result> {
  return autocannon({ url: `${url}${target.path}`, method: target.method, headers: { authorization }, connections: 10, duration: seconds });
}

/**
 * Issue 4: cache-hit throughput of the gateway-token route beside `GET /api/health` on the same
 * local host and client (autocannon), alternating A B A B so that both see the same machine.
 */
export async function hitThroughput(rounds = 2, seconds = 5): Promise<string[]> {
  // The host's log (an audit line per issuance) goes to a file: a pipe read by this busy process
  // would slow the host's writes and measure the pipe instead of the broker.
  const logFile = path.join(mkdtempSync(path.join(tmpdir(), 'broker-bench-')), 'host.log');
  const host = spawn(process.execPath, ['dist/local/start.js'], {
    cwd: PROJECT,
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', openSync(logFile, 'w'), 'inherit'],
  });
  try {
    const { url, authorization } = await new Promise<{ url: string; authorization: string }>((resolve, reject) => {
      const poll = setInterval(() => {
        const output = readFileSync(logFile, 'utf8');
        const ready = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        const token = /^export TOKEN=(\S+)$/m.exec(output);
        if (ready?.[1] && token?.[1]) {
          clearInterval(poll);
          resolve({ url: ready[1], authorization: `Bearer ${token[1]}` });
        }
      }, 20);
      host.once('exit', () => {
        clearInterval(poll);
        reject(new Error(`local host exited:\n${readFileSync(logFile, 'utf8')}`));
      });
    });
    const warm = await fetch(`${url}${TARGETS[1].path}`, { method: 'POST', headers: { authorization } });
    if (warm.status !== 200) throw new Error(`warm-up answered ${warm.status}`);
    const rates: Record<string, number[]> = { [TARGETS[0].name]: [], [TARGETS[1].name]: [] };
    let non2xx = 0;
    for (let round = 0; round < rounds; round += 1) {
      for (const target of TARGETS) {
        const result = await run(url, target, seconds, authorization);
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
