import { BrokerError, type BrokerErrorOptions } from './brokerError';

export class UpstreamForbiddenError extends BrokerError {
  readonly status = 502;
  readonly code = 'UpstreamForbidden';

  /** `action` is the only upstream fact a caller sees: the permission the broker's identity lacks. */
  constructor(action: string, options: BrokerErrorOptions = {}) {
    super(`The broker's identity lacks the permission '${action}'.`, options);
  }
}

export class UpstreamError extends BrokerError {
  readonly status = 502;
  readonly code = 'UpstreamError';

  constructor(options: BrokerErrorOptions = {}) {
    super('The upstream service failed to answer correctly.', options);
  }
}

export class UpstreamThrottledError extends BrokerError {
  readonly status = 503;
  readonly code = 'UpstreamThrottled';

  constructor(retryAfterSeconds: number, options: BrokerErrorOptions = {}) {
    super('The upstream service is throttling requests.', {
      ...options,
      headers: { 'Retry-After': String(retryAfterSeconds), ...options.headers },
    });
  }
}

export class UpstreamTimeoutError extends BrokerError {
  readonly status = 504;
  readonly code = 'UpstreamTimeout';

  constructor(options: BrokerErrorOptions = {}) {
    super('The upstream service did not answer in time.', options);
  }
}

/** Anything the broker did not anticipate; its cause goes to the log only. */
export class InternalError extends BrokerError {
  readonly status = 500;
  readonly code = 'InternalError';

  constructor(options: BrokerErrorOptions = {}) {
    super('The broker failed to handle the request.', options);
  }
}
