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

/** A token minted for a request must still serve the identical request that follows, for at least this long. */
export const MIN_VALIDITY_HEADROOM_MS = 60 * 60_000;

/** The longest `minValidity` a caller may ask for: the maximum lifetime less the skew and an hour of headroom. */
export function longestMinValidity(policy: TokenPolicySettings): number {
  return policy.gatewayTokenMaxLifetimeMs - policy.clockSkewMs - MIN_VALIDITY_HEADROOM_MS;
}

/** Refuses a `minValidity` no token the broker may mint could satisfy for long (400 naming the largest accepted). */
export function checkMinValidity(minValidityMs: number, policy: TokenPolicySettings): void {
  const longest = longestMinValidity(policy);
  if (minValidityMs > longest) {
    throw new InvalidParameterError('minValidity', [
      {
        code: 'TooLong',
        target: 'minValidity',
        message: `must be at most ${formatIsoDuration(longest)} (the maximum lifetime less the clock skew and one hour)`,
      },
    ]);
  }
}

/**
 * When a gateway token should expire. An explicit `expiry` is cut to whole seconds and must be in
 * the future and within the maximum. Without one the token lives the default lifetime when that
 * covers `minValidity` plus the skew margin, else the maximum lifetime: a token exactly as long as
 * asked would be stale a second later, and every identical request would mint again.
 */
export function resolveGatewayExpiry(request: GatewayExpiryRequest, now: Date, policy: TokenPolicySettings): Date {
  const maxMs = policy.gatewayTokenMaxLifetimeMs;
  if (request.minValidityMs !== undefined) checkMinValidity(request.minValidityMs, policy);
  if (request.expiry === undefined) {
    const needed = (request.minValidityMs ?? 0) + policy.clockSkewMs;
    const lifetime = policy.gatewayTokenDefaultLifetimeMs >= needed ? policy.gatewayTokenDefaultLifetimeMs : maxMs;
    return toWholeSeconds(new Date(now.getTime() + lifetime));
  }
  const latest = toWholeSeconds(new Date(now.getTime() + maxMs));
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
