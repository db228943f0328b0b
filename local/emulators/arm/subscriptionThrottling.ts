/** A token bucket: `capacity` requests at once, refilled continuously at `refillPerSecond`. */
export interface RequestBudget {
  capacity: number;
  refillPerSecond: number;
}

export type RequestKind = 'reads' | 'writes';

/** ARM's per-principal, per-subscription buckets (POST actions are writes). */
export const ARM_SUBSCRIPTION_BUDGETS: Readonly<Record<RequestKind, RequestBudget>> = {
  writes: { capacity: 200, refillPerSecond: 10 },
  reads: { capacity: 250, refillPerSecond: 25 },
};

export type ThrottleDecision = { admitted: true; remaining: number } | { admitted: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  refilledAtMs: number;
}

/**
 * ARM's request throttling, which is where the `x-ms-ratelimit-remaining-subscription-*` headers
 * come from. It runs on a monotonic clock of its own, not the emulator's business clock, so a test
 * that freezes or jumps the business clock does not drain or refill the buckets.
 */
export class SubscriptionThrottling {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly budgets: Readonly<Record<RequestKind, RequestBudget>>,
    private readonly monotonicMs: () => number = () => performance.now(),
  ) {}

  admit(kind: RequestKind, principal: string, subscriptionId: string): ThrottleDecision {
    const budget = this.budgets[kind];
    const key = JSON.stringify([kind, principal, subscriptionId.toLowerCase()]);
    const nowMs = this.monotonicMs();
    const bucket = this.buckets.get(key) ?? { tokens: budget.capacity, refilledAtMs: nowMs };
    bucket.tokens = Math.min(budget.capacity, bucket.tokens + ((nowMs - bucket.refilledAtMs) / 1000) * budget.refillPerSecond);
    bucket.refilledAtMs = nowMs;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      return { admitted: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / budget.refillPerSecond)) };
    }
    bucket.tokens -= 1;
    return { admitted: true, remaining: Math.floor(bucket.tokens) };
  }
}
