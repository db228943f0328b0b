import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Clock } from '../../shared/time/clock';
import { readRequestBody } from '../http/requestBody';
import type { LocalTlsMaterial } from './tls';

/** What a route handler answers; `body` objects are sent as JSON, strings as they are. */
export interface EmulatorResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface EmulatorRequest {
  method: string;
  url: URL;
  /** Path segments after URL decoding. */
  segments: string[];
  headers: IncomingMessage['headers'];
  rawBody: Buffer;
  /** The path match's named groups, URL-decoded. */
  params: Record<string, string>;
}

export interface EmulatorRoute<Op extends string> {
  operation: Op;
  method: string;
  /** Matched against the raw (still encoded) path; named groups become `params`. */
  path: RegExp;
  /** Further conditions on the query or headers, for upstreams that tell operations apart by them (Blob storage's `comp`). */
  when?(url: URL, headers: IncomingMessage['headers']): boolean;
  handle(request: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse>;
}

/**
 * A fault a test injects for the next `times` calls of one operation; until `until` (on the
 * emulator's clock) when that is given without `times`, else once.
 */
export interface Fault {
  status?: number;
  retryAfterSeconds?: number;
  delayMs?: number;
  malformedBody?: boolean;
  /** Error body to send with `status`; default: the emulator's own error shape. */
  body?: unknown;
  /** More headers to send with `status`, e.g. a `Retry-After` HTTP date and the `Date` it is read against. */
  headers?: Record<string, string>;
  times?: number;
  until?: Date;
}

/** Every operation of the emulator. */
export const ANY_OPERATION = '*';

interface ActiveFault<Op extends string> {
  operation: Op | typeof ANY_OPERATION;
  fault: Fault;
  remaining: number;
}

/** Any emulator, addressed by operation names that are checked at run time (the local control routes). */
export interface FaultableEmulator {
  readonly name: string;
  readonly operations: readonly string[];
  inject(operation: string, fault: Fault): void;
  clearFaults(): void;
}

/**
 * The HTTPS server, call counter and fault injector that every upstream emulator shares.
 * Subclasses declare their routes and their upstream's error shape; counts include rejected calls.
 */
export abstract class HttpsEmulator<Op extends string> {
  private server: https.Server | undefined;
  private readonly counts: Record<Op, number>;
  /** Several may be active at once, for one operation or for all; the first injected that matches applies. */
  private faults: ActiveFault<Op>[] = [];
  /** Aborts every fault delay still waiting when the emulator stops, so none outlives it. */
  private delays = new AbortController();
  private baseUrl: string | undefined;

  protected constructor(
    readonly name: string,
    readonly operations: readonly Op[],
    private readonly routes: readonly EmulatorRoute<Op>[],
    /** Time as this upstream sees it: expiries, date windows and fault delays. */
    protected readonly clock: Clock,
  ) {
    this.counts = Object.fromEntries(operations.map((op) => [op, 0])) as Record<Op, number>;
  }

  /** The upstream's own error body for a status and code. */
  protected abstract errorBody(status: number, code: string, message: string): unknown;

  /** Headers the upstream puts on every answer, faults and unknown routes included (tracing ids). */
  protected commonHeaders(_requestHeaders: IncomingMessage['headers']): Record<string, string> {
    return {};
  }

  get url(): string {
    if (!this.baseUrl) throw new Error(`${this.name} emulator is not running`);
    return this.baseUrl;
  }

  calls(): Record<Op, number> {
    return { ...this.counts };
  }

  resetCalls(): void {
    for (const op of this.operations) this.counts[op] = 0;
  }

  inject(operation: Op | typeof ANY_OPERATION, fault: Fault): void {
    const remaining = fault.times ?? (fault.until === undefined ? 1 : Number.POSITIVE_INFINITY);
    this.faults.push({ operation, fault, remaining });
  }

  clearFaults(): void {
    this.faults = [];
  }

  async start(tls: LocalTlsMaterial, port = 0): Promise<string> {
    const server = https.createServer({ key: tls.key, cert: tls.cert }, (req, res) => {
      void this.dispatch(req, res);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.delays.abort();
    this.delays = new AbortController();
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const common = this.commonHeaders(req.headers);
    const send = (response: EmulatorResponse) => sendResponse(res, { ...response, headers: { ...common, ...response.headers } });
    try {
      const rawBody = await readRequestBody(req);
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const method = (req.method ?? 'GET').toUpperCase();
      const match = this.match(method, url, req.headers);
      if (!match) {
        send(this.errorResponse(404, 'NotFound', `No route for ${method} ${url.pathname}`));
        return;
      }
      const { route, params } = match;
      this.counts[route.operation] += 1;
      const fault = this.takeFault(route.operation);
      if (fault?.delayMs) await this.clock.sleep(fault.delayMs, this.delays.signal);
      if (res.destroyed) return;
      if (fault?.status) {
        const headers: Record<string, string> = { ...fault.headers };
        if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
        const injected = this.errorResponse(fault.status, 'InjectedFault', 'Fault injected by a test');
        send({ ...injected, headers: { ...injected.headers, ...headers }, body: fault.body ?? injected.body });
        return;
      }
      if (fault?.malformedBody) {
        send({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"truncated": ' });
        return;
      }
      const segments = url.pathname.split('/').filter(Boolean).map(safeDecode);
      const response = await route.handle({ method, url, segments, headers: req.headers, rawBody, params });
      send(response);
    } catch (error) {
      send(this.errorResponse(500, 'InternalError', (error as Error).message));
    }
  }

  /** The answer for an error the emulator gives itself (unknown route, injected fault, its own failure). */
  protected errorResponse(status: number, code: string, message: string): EmulatorResponse {
    return { status, body: this.errorBody(status, code, message) };
  }

  private match(
    method: string,
    url: URL,
    headers: IncomingMessage['headers'],
  ): { route: EmulatorRoute<Op>; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.path.exec(url.pathname);
      if (!m || (route.when && !route.when(url, headers))) continue;
      const params: Record<string, string> = {};
      for (const [key, value] of Object.entries(m.groups ?? {})) {
        if (value !== undefined) params[key] = safeDecode(value);
      }
      return { route, params };
    }
    return undefined;
  }

  private takeFault(operation: Op): Fault | undefined {
    const now = this.clock.now().getTime();
    this.faults = this.faults.filter(({ fault }) => fault.until === undefined || fault.until.getTime() > now);
    const active = this.faults.find((candidate) => candidate.operation === operation || candidate.operation === ANY_OPERATION);
    if (!active) return undefined;
    active.remaining -= 1;
    if (active.remaining <= 0) this.faults = this.faults.filter((candidate) => candidate !== active);
    return active.fault;
  }
}

/** A URL-decoded path segment, or the segment as sent when it is no valid percent-encoding. */
export function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function sendResponse(res: ServerResponse, response: EmulatorResponse): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string> = { ...(response.headers ?? {}) };
  let payload: string | Buffer | undefined;
  if (typeof response.body === 'string' || Buffer.isBuffer(response.body)) payload = response.body;
  else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    headers['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(response.status, headers);
  res.end(payload);
}
