import type { Clock } from '../../shared/time/clock';

interface Sleeper {
  until: number;
  resolve: () => void;
}

export interface LocalClockOptions {
  /** The first instant; default now. */
  start?: Date;
  /** A frozen clock moves only when told to (`advance`, `set`): tests freeze it, so nothing happens unasked. */
  frozen?: boolean;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); a longer wait re-arms.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

const wholeSecond = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * The one clock of a local run: the broker, every emulator, the issuer, the simulated gateways and
 * the timers read it and sleep on it. It runs at real speed plus the offset `advance`/`set` add (or
 * stands still when frozen); a sleep ends when this clock reaches its wake-up time, however it got
 * there, so moving the clock forward releases every wait it passes (a `Retry-After: 30` passes in no
 * real time once the clock is moved 30 seconds).
 */
export class LocalClock implements Clock {
  /** Frozen: the instant itself; running: what is added to the system time. */
  private base: number;
  private sleepers: Sleeper[] = [];
  private alarm: NodeJS.Timeout | undefined;
  readonly frozen: boolean;

  constructor(options: LocalClockOptions = {}) {
    this.frozen = options.frozen ?? false;
    const start = options.start?.getTime() ?? Date.now();
    this.base = this.frozen ? wholeSecond(start) : start - Date.now();
  }

  readonly now = (): Date => new Date(this.nowMs());

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> => this.wait(ms, signal);

  protected wait(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = { until: this.nowMs() + ms, resolve };
      this.sleepers.push(sleeper);
      signal?.addEventListener(
        'abort',
        () => {
          this.sleepers = this.sleepers.filter((other) => other !== sleeper);
          this.arm();
          reject(signal.reason);
        },
        { once: true },
      );
      this.arm();
    });
  }

  /** How many `sleep` calls are waiting for this clock to move. */
  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  advance(ms: number): void {
    this.base += ms;
    this.wake();
  }

  /** To the whole second, as the broker's expiries are. Only the control routes' callers are held to forward moves. */
  set(date: Date): void {
    const target = wholeSecond(date.getTime());
    this.base = this.frozen ? target : target - Date.now();
    this.wake();
  }

  private nowMs(): number {
    return this.frozen ? this.base : Date.now() + this.base;
  }

  private wake(): void {
    const now = this.nowMs();
    const due = this.sleepers.filter((sleeper) => sleeper.until <= now).sort((a, b) => a.until - b.until);
    this.sleepers = this.sleepers.filter((sleeper) => sleeper.until > now);
    for (const sleeper of due) sleeper.resolve();
    this.arm();
  }

  /** One real timer, for the earliest sleeper; a frozen clock needs none. */
  private arm(): void {
    clearTimeout(this.alarm);
    this.alarm = undefined;
    if (this.frozen || this.sleepers.length === 0) return;
    const earliest = Math.min(...this.sleepers.map((sleeper) => sleeper.until));
    this.alarm = setTimeout(() => this.wake(), Math.min(Math.max(0, earliest - this.nowMs()), MAX_TIMEOUT_MS));
  }
}
