import { TooManyRequestsError } from '../../../../shared/errors';
import { MintRateLimiter } from '../../../../shared/policy/mintRateLimiter';
import { TestClock } from '../../../support/testClock';

describe('per-caller mint limit (token bucket, injected clock)', () => {
  it('allows the full bucket at once, then one more per refill interval', () => {
    const clock = new TestClock();
    const limiter = new MintRateLimiter(6, clock);
    for (let i = 0; i < 6; i += 1) limiter.admit('caller');
    expect(() => limiter.admit('caller')).toThrow(TooManyRequestsError);
    clock.advance(9_000);
    expect(() => limiter.admit('caller')).toThrow(TooManyRequestsError);
    clock.advance(1_000);
    expect(() => limiter.admit('caller')).not.toThrow();
  });

  it('says when the next mint is available, in whole seconds', () => {
    const clock = new TestClock();
    const limiter = new MintRateLimiter(2, clock);
    limiter.admit('caller');
    limiter.admit('caller');
    try {
      limiter.admit('caller');
      throw new Error('admitted');
    } catch (error) {
      expect((error as TooManyRequestsError).headers['Retry-After']).toBe('30');
    }
  });

  it('keeps callers apart, and forgets the oldest beyond its bound (they start full again)', () => {
    const clock = new TestClock();
    const limiter = new MintRateLimiter(1, clock, 2);
    limiter.admit('a');
    limiter.admit('b');
    expect(() => limiter.admit('a')).toThrow(TooManyRequestsError);
    expect(() => limiter.admit('b')).toThrow(TooManyRequestsError);
    limiter.admit('c');
    expect(() => limiter.admit('a')).not.toThrow();
  });

  it('gives back a mint that did not reach the upstream, never beyond a full bucket', () => {
    const clock = new TestClock();
    const limiter = new MintRateLimiter(2, clock);
    const refund = limiter.admit('caller');
    limiter.admit('caller');
    refund();
    expect(() => limiter.admit('caller')).not.toThrow();
    expect(() => limiter.admit('caller')).toThrow(TooManyRequestsError);
    const fresh = limiter.admit('other');
    fresh();
    fresh();
    limiter.admit('other');
    limiter.admit('other');
    expect(() => limiter.admit('other')).toThrow(TooManyRequestsError);
  });
});
