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

/** The tenant's signing keys could not be fetched and none cached matches the token: the caller may be valid. */
export class AuthenticationUnavailableError extends BrokerError {
  readonly status = 503;
  readonly code = 'AuthenticationUnavailable';

  constructor(options: BrokerErrorOptions = {}) {
    super("The broker cannot check bearer tokens right now: its identity provider's signing keys are unavailable.", options);
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

/** One setting and what is wrong with it (`message` follows the name: "is required: ..."). */
export interface SettingProblem {
  setting: string;
  message: string;
}

/**
 * The app's settings are missing or wrong. Callers learn which settings, never their values; the
 * log gets each problem. A 503, since the fix is an operator's and the app has not failed.
 */
export class ConfigurationInvalidError extends BrokerError {
  readonly status = 503;
  readonly code = 'ConfigurationInvalid';
  /** `<SETTING> <what is wrong>`, one per problem. */
  readonly problems: string[];
  /** The names of the settings at fault, each once, in the order found. */
  readonly settings: string[];

  constructor(problems: readonly SettingProblem[]) {
    const settings = [...new Set(problems.map((problem) => problem.setting))];
    const lines = problems.map((problem) => `${problem.setting} ${problem.message}`);
    super(`The broker's configuration is invalid; check the settings ${settings.join(', ')}.`, { internal: lines.join('; ') });
    this.problems = lines;
    this.settings = settings;
  }
}

/**
 * A step of the rotation that depends on the publish vault or the rotation's storage failed. The
 * code names the dependency (`KeyVaultUnavailable`, `StorageUnavailable`, `PublishFailed`,
 * `PublishUnverified`); the message is a fixed sentence saying what was left as it was.
 */
export class RotationStepError extends BrokerError {
  readonly status = 503;

  constructor(
    readonly code: string,
    message: string,
    options: BrokerErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** A revoke stopped part way; the message names the steps done (a fixed vocabulary), and a retry continues. */
export class RevokeIncompleteError extends BrokerError {
  readonly status = 503;
  readonly code = 'RevokeIncomplete';

  constructor(completed: readonly string[], options: BrokerErrorOptions = {}) {
    super(`The revoke stopped after: ${completed.length === 0 ? 'no step' : completed.join(', ')}. Retry to continue.`, options);
  }
}
