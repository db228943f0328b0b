import { LocalClock } from '../../local/time/localClock';
import type { LogEvent, Logger } from '../../shared/logging/logger';

/**
 * A clock tests move by hand: the local run's clock, frozen. The broker, the emulators and the local
 * host's timers can share it, so every side agrees on "now"; a retry's backoff or a timer's schedule
 * takes no real time at all.
 */
export class TestClock extends LocalClock {
  /**
   * With `advanceOnSleep`, a `sleep` moves the clock itself and returns at once: time passes only
   * while someone waits (a retry's backoff), for tests of one broker with no timers beside it.
   */
  constructor(
    start = new Date(),
    private readonly options: { advanceOnSleep?: boolean } = {},
  ) {
    super({ start, frozen: true });
  }

  protected override wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (!this.options.advanceOnSleep) return super.wait(ms, signal);
    if (ms > 0) this.advance(ms);
    return Promise.resolve();
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
