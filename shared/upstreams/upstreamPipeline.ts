import {
  bearerTokenAuthenticationPolicy,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  type HttpClient,
  type HttpMethods,
  isRestError,
  type Pipeline,
  type PipelinePolicy,
  type PipelineResponse,
  tlsPolicy,
} from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { UpstreamError, UpstreamThrottledError, UpstreamTimeoutError } from '../errors';
import type { Clock } from '../time/clock';

export interface RetrySettings {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** First backoff; each further one doubles. */
  retryDelayMs: number;
  attemptTimeoutMs: number;
  /** The whole call, every attempt and wait included, stays within this. */
  budgetMs: number;
}

export interface UpstreamPipelineOptions {
  retry: RetrySettings;
  /** Time for the budget and the waits between attempts. */
  clock: Clock;
  httpClient: HttpClient;
  /** ARM: the broker's identity and the scope derived from the ARM endpoint. */
  credential?: { tokenCredential: TokenCredential; scope: string };
  /** A CA to trust besides the system's: local runs and tests only (configuration refuses it in Azure). */
  caCert?: string;
}

export interface UpstreamRequest {
  method: HttpMethods;
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The broker's request id; sent as `x-ms-client-request-id` so both sides' logs meet. */
  requestId: string;
}

/** Statuses worth another attempt: throttling and the server's own failures. */
export function isRetriableStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status !== 501 && status !== 505);
}

/**
 * `Retry-After` in milliseconds. An HTTP date is read against the response's own `Date`, so
 * neither clock's drift matters; undefined when absent or unreadable.
 */
export function retryAfterMs(response: PipelineResponse): number | undefined {
  const value = response.headers.get('retry-after')?.trim();
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const until = Date.parse(value);
  const sent = Date.parse(response.headers.get('date') ?? '');
  return Number.isNaN(until) || Number.isNaN(sent) ? undefined : Math.max(0, until - sent);
}

/** A final 429: the caller is told to come back when the upstream said, in whole seconds (at least 1). */
export function throttledError(response: PipelineResponse, internal: string): UpstreamThrottledError {
  return new UpstreamThrottledError(Math.max(1, Math.ceil((retryAfterMs(response) ?? 1000) / 1000)), { internal });
}

/** The response body as JSON, or undefined when it is empty or not JSON (callers then refuse it). */
export function parseJsonBody(response: PipelineResponse): unknown {
  if (!response.bodyAsText) return undefined;
  try {
    return JSON.parse(response.bodyAsText);
  } catch {
    return undefined;
  }
}

/**
 * The broker's retry strategy as a pipeline policy. The SDK's own throttling policy honours any
 * `Retry-After` however long, which would hold a caller for minutes; this one retries 429, 5xx and
 * network failures with exponential backoff only while the whole call stays within the budget,
 * and otherwise hands the last response back for the client to map (a long 429 becomes 503).
 */
export function budgetedRetryPolicy(settings: RetrySettings, clock: Clock): PipelinePolicy {
  return {
    name: 'brokerBudgetedRetry',
    async sendRequest(request, next) {
      const started = clock.now().getTime();
      for (let attempt = 1; ; attempt += 1) {
        const remaining = settings.budgetMs - (clock.now().getTime() - started);
        request.timeout = Math.max(1, Math.min(settings.attemptTimeoutMs, remaining));
        let response: PipelineResponse | undefined;
        let failure: unknown;
        try {
          response = await next(request);
        } catch (error) {
          failure = error;
        }
        if (response && !isRetriableStatus(response.status)) return response;

        const elapsed = clock.now().getTime() - started;
        const backoff = settings.retryDelayMs * 2 ** (attempt - 1);
        const upstreamWait = response ? retryAfterMs(response) : undefined;
        const wait = upstreamWait ?? backoff;
        const canRetry = attempt < settings.maxAttempts && elapsed + wait < settings.budgetMs;
        if (!canRetry) {
          if (response) return response;
          throw toUpstreamFailure(failure, request.url);
        }
        await clock.sleep(wait);
      }
    },
  };
}

function toUpstreamFailure(failure: unknown, url: string): Error {
  const host = safeHost(url);
  if (failure instanceof Error && failure.name === 'AbortError') {
    return new UpstreamTimeoutError({ internal: `no answer from ${host} in time`, cause: failure });
  }
  const code = isRestError(failure) ? failure.code : undefined;
  return new UpstreamError({ internal: `request to ${host} failed${code ? ` (${code})` : ''}`, cause: failure });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'upstream';
  }
}

/**
 * One upstream's HTTP pipeline on the Azure SDK's building blocks: the broker's retry policy,
 * bearer authentication where the upstream is ARM, and a local CA only where configured.
 */
export class UpstreamPipeline {
  private readonly pipeline: Pipeline;

  constructor(private readonly options: UpstreamPipelineOptions) {
    const pipeline = createEmptyPipeline();
    pipeline.addPolicy(budgetedRetryPolicy(options.retry, options.clock));
    if (options.credential) {
      pipeline.addPolicy(
        bearerTokenAuthenticationPolicy({ credential: options.credential.tokenCredential, scopes: options.credential.scope }),
      );
    }
    if (options.caCert) pipeline.addPolicy(tlsPolicy({ ca: options.caCert }));
    this.pipeline = pipeline;
  }

  async send(call: UpstreamRequest): Promise<PipelineResponse> {
    const headers = createHttpHeaders({ accept: 'application/json', 'x-ms-client-request-id': call.requestId, ...call.headers });
    if (call.body !== undefined) headers.set('content-type', 'application/json');
    const request = createPipelineRequest({ method: call.method, url: call.url, headers, body: call.body });
    return this.pipeline.sendRequest(this.options.httpClient, request);
  }
}
