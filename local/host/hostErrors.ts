import { BrokerError } from '../../shared/errors';

/**
 * The answers only a host gives (no function runs for them), in the broker's error hierarchy so
 * they share its ARM body and request-id rule.
 */
export class MethodNotAllowedError extends BrokerError {
  readonly status = 405;
  readonly code = 'MethodNotAllowed';

  constructor(method: string, allow: readonly string[]) {
    super(`The method ${method} is not allowed here; allowed: ${allow.join(', ')}.`, { headers: { Allow: allow.join(', ') } });
  }
}

export class BadRequestError extends BrokerError {
  readonly status = 400;
  readonly code = 'BadRequest';
}

export class RequestTimeoutError extends BrokerError {
  readonly status = 408;
  readonly code = 'RequestTimeout';

  constructor() {
    super('The request was not received in time.');
  }
}

export class RequestHeaderFieldsTooLargeError extends BrokerError {
  readonly status = 431;
  readonly code = 'RequestHeaderFieldsTooLarge';

  constructor() {
    super("The request's headers are larger than the host accepts.");
  }
}
