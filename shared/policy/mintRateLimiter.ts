import { TooManyRequestsError } from '../errors';
import type { Clock } from '../time/clock';

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per caller for requests that reach the upstream, so one caller cannot spend the
 * broker's ARM write budget (and starve rotation). Buckets start full; the map is bounded, and
 * a forgotten caller simply starts full again.
 */
export class MintRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock,
    private readonly maxCallers = 10_000,
  ) {}

  /**
   * Takes one mint from the caller's bucket, or throws 429 saying when the next one is available.
   * Returns the refund for a request that turns out not to reach the upstream after all (a Key Vault hit).
   */
  admit(callerId: string): () => void {
    const now = this.clock.now().getTime();
    const refillPerMs = this.perMinute / 60_000;
    const previous = this.buckets.get(callerId);
    const tokens = previous ? Math.min(this.perMinute, previous.tokens + (now - previous.updatedAt) * refillPerMs) : this.perMinute;
    if (tokens < 1) {
      this.buckets.set(callerId, { tokens, updatedAt: now });
      throw new TooManyRequestsError(Math.ceil((1 - tokens) / refillPerMs / 1000));
    }
    this.buckets.delete(callerId);
    this.buckets.set(callerId, { tokens: tokens - 1, updatedAt: now });
    if (this.buckets.size > this.maxCallers) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return () => {
      const current = this.buckets.get(callerId);
      if (current) current.tokens = Math.min(this.perMinute, current.tokens + 1);
    };
  }
}
