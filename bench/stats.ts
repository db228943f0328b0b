import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

/**
 * Wall time of one fresh `node` process running to its end, in milliseconds. Asynchronous, so
 * that servers in this process (the emulators) keep answering the child.
 */
export function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      const elapsed = performance.now() - started;
      if (code === 0) resolve(elapsed);
      else reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
    });
  });
}

/**
 * Runs each named command `rounds` times, interleaved (A B C A B C ...) so that drift in the
 * machine's load falls on all of them alike; returns the samples by name.
 */
export async function interleave(commands: Record<string, () => Promise<number>>, rounds: number): Promise<Record<string, number[]>> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const [name, run] of Object.entries(commands)) samples[name]?.push(await run());
  }
  return samples;
}

/** Spawns a command and resolves with the milliseconds until `ready(output)` first holds. */
export function timeUntil(
  command: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string },
  ready: (output: string) => Promise<boolean> | boolean,
  timeoutMs = 60_000,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let output = '';
    let settled = false;
    const finish = (error: Error | undefined, elapsed?: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearInterval(poll);
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {
        /* already gone */
      }
      child.once('exit', () => (error ? reject(error) : resolve(elapsed as number)));
    };
    const timer = setTimeout(() => finish(new Error(`not ready in ${timeoutMs} ms:\n${output}`)), timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const poll = setInterval(() => {
      void Promise.resolve(ready(output)).then(
        (ok) => ok && finish(undefined, performance.now() - started),
        () => undefined,
      );
    }, 5);
  });
}

export function formatMs(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
