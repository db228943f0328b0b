/** One problem with one input, as listed in an ARM error's `details`. */
export interface ErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export interface BrokerErrorOptions {
  target?: string;
  details?: ErrorDetail[];
  headers?: Record<string, string>;
  /** What went wrong inside, for the log only: never returned to a caller. */
  internal?: string;
  cause?: unknown;
}

/**
 * The broker's one error hierarchy. Every error maps to an HTTP status and an ARM-shaped body.
 * Client errors (4xx) expose their message, target and details; server errors (5xx) expose only
 * their fixed sentence and the request id, and keep `internal` for the log.
 */
export abstract class BrokerError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly target?: string;
  readonly details?: ErrorDetail[];
  readonly headers: Record<string, string>;
  readonly internal?: string;

  constructor(message: string, options: BrokerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.target = options.target;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.internal = options.internal;
  }

  get exposesDetail(): boolean {
    return this.status < 500;
  }
}
