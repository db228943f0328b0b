import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { TokenCredential } from '@azure/core-auth';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import type { KeyVaultEmulator } from '../../../../../local/emulators/keyvault/keyVaultEmulator';
import type { LocalTlsMaterial } from '../../../../../local/emulators/tls';

export const DAY_MS = 24 * 60 * 60 * 1000;

/** The credential a local run hands the client: Key Vault's challenge decides the scope, the emulator takes any token. */
export const staticCredential: TokenCredential = {
  getToken: async () => ({ token: 'local', expiresOnTimestamp: Date.now() + 3600e3 }),
};

/**
 * The real client as local configuration builds it: the emulator's CA, no host check on the challenge
 * resource (127.0.0.1 is not a vault.azure.net host) and no retries, so injected faults surface at once.
 */
export function secretClient(emulator: KeyVaultEmulator, tls: LocalTlsMaterial, options: SecretClientOptions = {}): SecretClient {
  return new SecretClient(emulator.url, staticCredential, {
    tlsOptions: { ca: tls.cert },
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
    ...options,
  });
}

export interface RestErrorLike {
  name: string;
  statusCode?: number;
  code?: string;
  message: string;
  response?: { headers: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

/** Awaits a call that must fail with a `RestError` of this status and Key Vault error code. */
export async function expectRestError(call: Promise<unknown>, statusCode: number, code?: string): Promise<RestErrorLike> {
  const error = await call.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toMatchObject({ name: 'RestError', statusCode, ...(code ? { code } : {}) });
  return error as RestErrorLike;
}

/** Every page of an async listing, as arrays. */
export async function collectPages<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const collected: T[][] = [];
  for await (const page of pages) collected.push(page);
  return collected;
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const collected: T[] = [];
  for await (const item of items) collected.push(item);
  return collected;
}

export interface RawRequest {
  method?: string;
  path: string;
  /** `null` sends none; default `Bearer local`. */
  authorization?: string | null;
  body?: unknown;
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** One HTTPS request as written, for what the real client never sends. */
export function keyVaultHttp(emulator: KeyVaultEmulator, tls: LocalTlsMaterial, request: RawRequest): Promise<RawResponse> {
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const authorization = request.authorization === undefined ? 'Bearer local' : request.authorization;
  return new Promise((resolve, reject) => {
    const outgoing = https.request(
      `${emulator.url}${request.path}`,
      {
        method: request.method ?? 'GET',
        ca: tls.cert,
        headers: {
          ...(authorization === null ? {} : { authorization }),
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        });
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** The `error` object of a Key Vault error body. */
export function errorOf(response: RawResponse): { code: string; message: string; innererror?: { code: string } } {
  return (response.body as { error: { code: string; message: string } }).error;
}
