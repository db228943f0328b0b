import type { LogEvent, Logger } from '../../shared/logging/logger';
import type { Clock } from '../../shared/time/clock';

interface Sleeper {
  until: number;
  resolve: () => void;
}

/**
 * A clock tests move by hand; the broker, the emulators and the local host's timers can share it,
 * so every side agrees on "now". Its `sleep` waits for `advance`/`set` to pass the wake-up time, so
 * a retry's backoff or a timer's schedule takes no real time at all.
 */
export class TestClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  /**
   * With `advanceOnSleep`, a `sleep` moves the clock itself and returns at once: time passes only
   * while someone waits (a retry's backoff), for tests of one broker with no timers beside it.
   */
  constructor(
    start = new Date(),
    private readonly options: { advanceOnSleep?: boolean } = {},
  ) {
    this.current = Math.floor(start.getTime() / 1000) * 1000;
  }

  readonly now = (): Date => new Date(this.current);

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
    if (ms <= 0) return Promise.resolve();
    if (this.options.advanceOnSleep) {
      this.advance(ms);
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { until: this.current + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((other) => other !== sleeper);
          reject(signal.reason);
        },
        { once: true },
      );
    });
  };

  /** How many `sleep` calls are waiting for this clock to move. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.current += ms;
    this.wake();
  }

  /** To the whole second, as the broker's expiries are. */
  set(date: Date): void {
    this.current = Math.floor(date.getTime() / 1000) * 1000;
    this.wake();
  }

  private wake(): void {
    const due = this.sleepers.filter((sleeper) => sleeper.until <= this.current).sort((a, b) => a.until - b.until);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > this.current);
    for (const sleeper of due) sleeper.resolve();
  }
}

/** A logger that keeps every event for assertions. */
export function recordingLogger(): Logger & { events: (LogEvent & { level: string })[] } {
  const events: (LogEvent & { level: string })[] = [];
  return {
    events,
    info: (event) => events.push({ ...event, level: 'info' }),
    warn: (event) => events.push({ ...event, level: 'warn' }),
    error: (event) => events.push({ ...event, level: 'error' }),
  };
}
