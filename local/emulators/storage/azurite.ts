import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LocalTlsMaterial } from '../tls';

/** Azurite's well-known development account: the path segment of every blob URL it serves. */
export const AZURITE_ACCOUNT = 'devstoreaccount1';

const LISTENING = /successfully listens on (https:\/\/127\.0\.0\.1:\d+)/;

/**
 * Azurite, the official Storage emulator, as a child process: the blob service only, in memory,
 * telemetry off, over HTTPS with the local certificate and `--oauth basic`, so the broker's storage
 * client authenticates with a bearer token as it does in Azure. Nothing lands in the working tree:
 * the certificate files live in a temporary folder removed at stop.
 */
export class Azurite {
  private child: ChildProcess | undefined;
  private folder: string | undefined;
  private baseUrl: string | undefined;

  /** `https://127.0.0.1:<port>/devstoreaccount1`: what `AzureWebJobsStorage__blobServiceUri` points at. */
  get blobServiceUrl(): string {
    if (!this.baseUrl) throw new Error('Azurite is not running');
    return `${this.baseUrl}/${AZURITE_ACCOUNT}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(tls: LocalTlsMaterial, options: { port?: number; startTimeoutMs?: number } = {}): Promise<string> {
    const folder = mkdtempSync(path.join(tmpdir(), 'token-broker-azurite-'));
    this.folder = folder;
    writeFileSync(path.join(folder, 'cert.pem'), tls.cert);
    writeFileSync(path.join(folder, 'key.pem'), tls.key, { mode: 0o600 });
    const main = require.resolve('azurite/dist/src/blob/main.js');
    const args = [
      main,
      '--inMemoryPersistence',
      '--extentMemoryLimit',
      '256',
      '--skipApiVersionCheck',
      '--disableTelemetry',
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      String(options.port ?? 0),
      '--cert',
      path.join(folder, 'cert.pem'),
      '--key',
      path.join(folder, 'key.pem'),
      '--oauth',
      'basic',
    ];
    const child = spawn(process.execPath, args, { cwd: folder, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.baseUrl = await new Promise<string>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(
        () => fail(new Error(`Azurite did not start within ${options.startTimeoutMs ?? 20_000} ms:\n${output}`)),
        options.startTimeoutMs ?? 20_000,
      );
      const onData = (chunk: Buffer) => {
        output += chunk.toString('utf8');
        const listening = LISTENING.exec(output)?.[1];
        if (listening) {
          cleanup();
          resolve(listening);
        }
      };
      const onExit = (code: number | null) => fail(new Error(`Azurite exited with ${code} before it listened:\n${output}`));
      const fail = (error: Error) => {
        cleanup();
        reject(error);
      };
      function cleanup() {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
      }
      child.stdout?.on('data', onData);
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', onExit);
    });
    // Its own log is not ours to show, but the pipe must keep flowing.
    child.stdout?.resume();
    child.stderr?.resume();
    return this.blobServiceUrl;
  }

  /** Stops the child this emulator started (by its PID) and removes its temporary folder. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await exited;
    }
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
    this.folder = undefined;
  }
}
