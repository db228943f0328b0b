import http, { type IncomingHttpHeaders } from 'node:http';
import type { UpstreamCalls } from '../../support/localBroker';

/** Every request of the e2e suite is bounded in time. */
export const REQUEST_TIMEOUT_MS = 5_000;

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body, or undefined when it is empty or not JSON. */
  json: any;
}

export interface RawRequest {
  method: string;
  /** Sent as the request-target exactly as written: no normalisation, no re-encoding. */
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/**
 * An HTTP/1.1 request to 127.0.0.1 with the request-target sent verbatim. `fetch` parses the URL
 * first (removing `.`/`%2E` segments, adding a text/plain content type to a string body), which
 * would hide exactly what these tests send.
 */
export function rawRequest(baseUrl: string, request: RawRequest): Promise<RawResponse> {
  const { port, hostname } = new URL(baseUrl);
  const body = request.body === undefined ? undefined : Buffer.from(request.body);
  const headers: Record<string, string> = { ...request.headers };
  if (body !== undefined) headers['content-length'] = String(body.length);
  else if (!['GET', 'HEAD', 'DELETE'].includes(request.method)) headers['content-length'] = '0';
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: hostname,
        port: Number(port),
        method: request.method,
        path: request.path,
        headers,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = text === '' ? undefined : JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${request.method} ${request.path}: no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** `fetch` with the suite's time bound. */
export function fetchWithin(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

/**
 * What changed between two readings of `/_local/upstream-calls`, as `emulator.operation → +n`,
 * for the given emulators (default: the token upstreams, ARM and LicenseSpring; a cache emulator
 * such as Key Vault may be asked too when a token is minted, which is not what these checks count).
 */
export function callsDelta(
  before: UpstreamCalls,
  after: UpstreamCalls,
  emulators: readonly string[] = ['arm', 'licensespring'],
): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const emulator of emulators) {
    const operations = new Set([...Object.keys(before[emulator] ?? {}), ...Object.keys(after[emulator] ?? {})]);
    for (const operation of operations) {
      const change = (after[emulator]?.[operation] ?? 0) - (before[emulator]?.[operation] ?? 0);
      if (change !== 0) delta[`${emulator}.${operation}`] = change;
    }
  }
  return delta;
}

/**
 * The parts of an answer a bad-input assertion compares: never the whole body, so a case that
 * unexpectedly succeeds cannot print a token in the failure message.
 */
export interface ErrorSummary {
  status: number;
  code?: string;
  target?: string;
}

export function errorSummary(status: number, json: any): ErrorSummary {
  const error = json && typeof json === 'object' && json.error && typeof json.error === 'object' ? json.error : undefined;
  return {
    status,
    ...(typeof error?.code === 'string' ? { code: error.code } : {}),
    ...(typeof error?.target === 'string' ? { target: error.target } : {}),
  };
}

/** The local host's shared clock, in ms: frozen in the e2e runs, so expiries are judged by it rather than by this process's time. */
export async function brokerNow(baseUrl: string): Promise<number> {
  const response = await fetchWithin(`${baseUrl}/_local/clock`);
  return Date.parse(((await response.json()) as { now: string }).now);
}
