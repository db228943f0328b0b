import type { LogEvent, Logger } from '../../shared/logging/logger';

/** A clock tests move by hand; the emulators can share it, so both sides agree on "now". */
export class TestClock {
  private current: number;

  constructor(start = new Date()) {
    this.current = Math.floor(start.getTime() / 1000) * 1000;
  }

  readonly now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }

  /** To the whole second, as the broker's expiries are. */
  set(date: Date): void {
    this.current = Math.floor(date.getTime() / 1000) * 1000;
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
