import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';

/**
 * The built app as `npm start` serves it: `node dist/local/start.js` in a child process, with its
 * emulators, on 127.0.0.1. Nothing is built here; `npm test` builds before jest runs, and a
 * developer running jest alone runs `npm run build` first.
 */
export const PROJECT_DIR = path.resolve(__dirname, '..', '..');
export const START_SCRIPT = path.join(PROJECT_DIR, 'dist', 'local', 'start.js');

const READY_LINE = /^Ready on (http:\/\/127\.0\.0\.1:(\d+))\s*$/m;
const DEV_TOKEN_LINE = /^export TOKEN=(\S+)$/m;

/** Settings of the developer's shell that would change what `npm start` serves; the child starts without them. */
const INHERITED_SETTING = /^(BROKER_|PORT$|WEBSITE_INSTANCE_ID$|LOCAL_CLOCK$|AzureWebJobsStorage)/;

export interface LocalBrokerOptions {
  /** PORT for the child; default `'0'` (an ephemeral port). */
  port?: string;
  /** Extra environment for the child; `LOCAL_CLOCK` is `frozen` unless given. */
  env?: Record<string, string>;
  /** How long to wait for the `Ready on` line; default 20 s. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits for the exit after SIGTERM; default 5 s. */
  stopTimeoutMs?: number;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LocalBroker {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  readonly url: string;
  /** `${url}/api` */
  readonly api: string;
  readonly port: number;
  readonly pid: number;
  /** `Bearer <token>` from the start banner's `export TOKEN=` line: a caller with every app role. */
  readonly authorization: string;
  /** Everything the child wrote so far. */
  stdout(): string;
  stderr(): string;
  /** The raw text of `GET /_local/upstream-calls`. */
  upstreamCallsText(): Promise<string>;
  upstreamCalls(): Promise<UpstreamCalls>;
  /** SIGTERM, then waits for the exit (SIGKILL and a thrown error after `stopTimeoutMs`). Idempotent. */
  stop(): Promise<ExitStatus>;
}

export type UpstreamCalls = Record<string, Record<string, number>>;

type Child = ChildProcessByStdio<null, Readable, Readable>;

function childEnvironment(options: LocalBrokerOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!INHERITED_SETTING.test(name)) env[name] = value;
  // Frozen, so the hourly rotation timer and the simulated gateways act only when a test moves the clock.
  return { ...env, PORT: options.port ?? '0', LOCAL_CLOCK: 'frozen', ...options.env };
}

function describeOutput(stdout: string, stderr: string): string {
  return `--- stdout ---\n${stdout || '(empty)'}\n--- stderr ---\n${stderr || '(empty)'}`;
}

/** Starts the local host and resolves once it prints `Ready on <url>`. */
export async function startLocalBroker(options: LocalBrokerOptions = {}): Promise<LocalBroker> {
  if (!existsSync(START_SCRIPT)) {
    throw new Error(`${path.relative(PROJECT_DIR, START_SCRIPT)} is missing: run \`npm run build\` before the e2e tests (npm test does).`);
  }
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
  const child: Child = spawn(process.execPath, [START_SCRIPT], {
    cwd: PROJECT_DIR,
    env: childEnvironment(options),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<ExitStatus>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exitStatus: ExitStatus | undefined;
  void exited.then((status) => (exitStatus = status));

  const url = await new Promise<string>((resolve, reject) => {
    const fail = (problem: string) => {
      cleanup();
      if (exitStatus === undefined) child.kill('SIGKILL');
      reject(new Error(`${problem}\n${describeOutput(stdout, stderr)}`));
    };
    const onData = () => {
      const ready = READY_LINE.exec(stdout);
      if (ready?.[1]) {
        cleanup();
        resolve(ready[1]);
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`node dist/local/start.js exited before it was ready (code ${code}, signal ${signal}).`);
    const onError = (error: Error) => fail(`node dist/local/start.js could not be started: ${error.message}`);
    const timer = setTimeout(
      () => fail(`node dist/local/start.js printed no 'Ready on' line within ${readyTimeoutMs} ms.`),
      readyTimeoutMs,
    );
    function cleanup() {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });

  const port = Number(new URL(url).port);
  const devToken = DEV_TOKEN_LINE.exec(stdout)?.[1];
  if (devToken === undefined) throw new Error(`The start banner has no 'export TOKEN=' line.\n${describeOutput(stdout, stderr)}`);
  const upstreamCallsText = async () => {
    const response = await fetch(`${url}/_local/upstream-calls`, { signal: AbortSignal.timeout(5_000) });
    if (response.status !== 200) throw new Error(`GET /_local/upstream-calls answered ${response.status}`);
    return response.text();
  };

  let stopping: Promise<ExitStatus> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (exitStatus !== undefined) return exitStatus;
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), stopTimeoutMs)));
      const outcome = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`The local host did not exit within ${stopTimeoutMs} ms of SIGTERM.\n${describeOutput(stdout, stderr)}`);
      }
      return outcome;
    })();
    return stopping;
  };

  return {
    url,
    api: `${url}/api`,
    port,
    pid: child.pid ?? -1,
    authorization: `Bearer ${devToken}`,
    stdout: () => stdout,
    stderr: () => stderr,
    upstreamCallsText,
    upstreamCalls: async () => JSON.parse(await upstreamCallsText()) as UpstreamCalls,
    stop,
  };
}

/**
 * One local host for the test file: started in beforeAll, stopped with SIGTERM in afterAll, where
 * it must exit with code 0. Returns an accessor, since the host exists only once beforeAll ran.
 */
export function useLocalBroker(options: LocalBrokerOptions = {}): () => LocalBroker {
  let broker: LocalBroker | undefined;
  beforeAll(
    async () => {
      broker = await startLocalBroker(options);
    },
    (options.readyTimeoutMs ?? 20_000) + 5_000,
  );
  afterAll(
    async () => {
      if (!broker) return;
      const exit = await broker.stop();
      if (exit.code !== 0)
        throw new Error(
          `The local host exited with ${JSON.stringify(exit)} after SIGTERM.\n${describeOutput(broker.stdout(), broker.stderr())}`,
        );
    },
    (options.stopTimeoutMs ?? 5_000) + 5_000,
  );
  return () => {
    if (!broker) throw new Error('The local host is not running (did beforeAll fail?)');
    return broker;
  };
}
