import { ExpiryTooLongError, InvalidParameterError } from '../errors';
import { formatIsoDuration } from '../time/duration';
import { formatUtcSeconds, parseIsoDateTime, toWholeSeconds } from '../time/isoDateTime';

export interface TokenPolicySettings {
  clockSkewMs: number;
  gatewayTokenMaxLifetimeMs: number;
  gatewayTokenDefaultLifetimeMs: number;
  ssoMinValidityMs: number;
}

export interface GatewayExpiryRequest {
  /** As the caller sent it; already checked to be ISO 8601 in form. */
  expiry?: string;
  minValidityMs?: number;
}

/**
 * When a gateway token should expire. An explicit `expiry` is cut to whole seconds and must be in
 * the future and within the maximum; without one the token lives the default lifetime, stretched
 * to cover the caller's `minValidity` plus the skew margin, never beyond the maximum.
 */
export function resolveGatewayExpiry(request: GatewayExpiryRequest, now: Date, policy: TokenPolicySettings): Date {
  const maxMs = policy.gatewayTokenMaxLifetimeMs;
  if (request.minValidityMs !== undefined && request.minValidityMs > maxMs) {
    throw new InvalidParameterError('minValidity', [
      { code: 'TooLong', target: 'minValidity', message: `must not be longer than the maximum lifetime ${formatIsoDuration(maxMs)}` },
    ]);
  }
  const latest = toWholeSeconds(new Date(now.getTime() + maxMs));
  if (request.expiry === undefined) {
    const lifetime = Math.min(maxMs, Math.max(policy.gatewayTokenDefaultLifetimeMs, (request.minValidityMs ?? 0) + policy.clockSkewMs));
    return toWholeSeconds(new Date(now.getTime() + lifetime));
  }
  const parsed = parseIsoDateTime(request.expiry);
  if (!parsed) {
    throw new InvalidParameterError('expiry', [
      { code: 'InvalidFormat', target: 'expiry', message: 'must be an ISO 8601 date-time with Z or an offset' },
    ]);
  }
  const expiry = toWholeSeconds(parsed);
  if (expiry.getTime() <= now.getTime()) {
    throw new InvalidParameterError('expiry', [{ code: 'InThePast', target: 'expiry', message: 'must be in the future' }]);
  }
  if (expiry.getTime() > latest.getTime()) throw new ExpiryTooLongError(formatIsoDuration(maxMs), formatUtcSeconds(latest));
  return expiry;
}
