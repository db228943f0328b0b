import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import type { Clock } from '../../shared/time/clock';
import type { NcrontabSchedule } from '../../shared/time/ncrontab';
import type { TimerRegistration } from './functionRegistry';
import { describeError, type HostLog, invocationLogHandler } from './hostLog';

export interface RunningTimers {
  stop(): void;
  /**
   * The clock jumped: resolves once every timer has run, to completion, whatever occurrences the
   * jump passed, as one past-due run each (`isPastDue: true`), the way the host's schedule monitor
   * catches up. A run already going is awaited first.
   */
  catchUp(): Promise<void>;
  /**
   * A paused timer does not fire (a stopped timer, as after azure-functions-host#11828). Resuming
   * catches up like a restart with the schedule monitor: one past-due run when occurrences were
   * missed, awaited.
   */
  setPaused(paused: boolean): Promise<void>;
  readonly paused: boolean;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits are chained.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/** A run that starts later than this after its occurrence is past due; timers wake a few milliseconds late. */
const PAST_DUE_TOLERANCE_MS = 1_000;

/**
 * Runs each timer function on its schedule, never at start unless it asks for `runOnStartup`.
 * Runs of one function never overlap: the next occurrence is armed once the current run has
 * finished, and occurrences missed meanwhile are skipped, as the Functions host's singleton
 * timer lock does. A failing run is logged and the schedule goes on.
 */
export function startTimers(registrations: readonly TimerRegistration[], clock: Clock, log: HostLog): RunningTimers {
  const timers = registrations.map((registration) => new ScheduledTimer(registration, clock, log));
  let paused = false;
  return {
    stop: () => {
      for (const timer of timers) timer.stop();
    },
    catchUp: async () => {
      await Promise.all(timers.map((timer) => timer.catchUp()));
    },
    setPaused: async (value) => {
      paused = value;
      for (const timer of timers) timer.setPaused(value);
      if (!value) await Promise.all(timers.map((timer) => timer.catchUp()));
    },
    get paused() {
      return paused;
    },
  };
}

/** The latest occurrence in `(after, now]`, found by bisection so a year of a per-second schedule costs no more than an hour of it. */
function latestOccurrence(schedule: NcrontabSchedule, after: number, now: number): Date | undefined {
  const first = schedule.nextAfter(after);
  if (!first || first.getTime() > now) return undefined;
  // `low` is an occurrence no later than now; none lies in (high, now].
  let low = first.getTime();
  let high = now;
  while (high - low > 1) {
    const middle = Math.floor((low + high) / 2);
    const next = schedule.nextAfter(middle)?.getTime();
    if (next !== undefined && next <= now) low = next;
    else high = middle;
  }
  const last = schedule.nextAfter(low);
  return last && last.getTime() <= now ? last : new Date(low);
}

class ScheduledTimer {
  private readonly stopped = new AbortController();
  /** Every occurrence up to this instant has been run or skipped. */
  private handledUntil: number;
  private running: Promise<void> | undefined;
  private paused = false;
  private resume: (() => void) | undefined;
  /** Counts catch-ups asked for, so a run that was going when the clock jumped does not swallow the jump. */
  private jumps = 0;

  constructor(
    private readonly registration: TimerRegistration,
    private readonly clock: Clock,
    private readonly log: HostLog,
  ) {
    this.handledUntil = clock.now().getTime();
    // A stop aborts the wait in progress; that rejection is how the loop ends.
    this.loop().catch((error: unknown) => {
      if (!this.stopped.signal.aborted) log('error', registration.functionName, `Timer loop failed: ${describeError(error)}`);
    });
  }

  stop(): void {
    this.stopped.abort();
    this.resume?.();
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
    if (!paused) this.resume?.();
  }

  async catchUp(): Promise<void> {
    this.jumps += 1;
    await this.running;
    await this.runDue();
  }

  private async loop(): Promise<void> {
    const { functionName, schedule } = this.registration;
    if (this.registration.runOnStartup) await this.invoke(new Date(this.handledUntil), false);
    while (!this.stopped.signal.aborted) {
      if (this.paused) {
        await new Promise<void>((resolve) => (this.resume = resolve));
        this.resume = undefined;
        continue;
      }
      const occurrence = schedule.nextAfter(this.handledUntil);
      if (!occurrence) {
        this.log('warning', functionName, `schedule "${schedule.expression}" has no further occurrence`);
        return;
      }
      await this.waitUntil(occurrence);
      if (this.stopped.signal.aborted) return;
      await this.runDue();
    }
  }

  // Re-checks the clock after every wake-up: a wait may end early, and long waits are chained.
  private async waitUntil(occurrence: Date): Promise<void> {
    const { clock } = this;
    for (let delay = occurrence.getTime() - clock.now().getTime(); delay > 0; delay = occurrence.getTime() - clock.now().getTime()) {
      await clock.sleep(Math.min(delay, MAX_TIMEOUT_MS), this.stopped.signal);
    }
  }

  /** Runs the latest due occurrence once, unless paused or nothing is due; concurrent callers share the run. */
  private runDue(): Promise<void> {
    this.running ??= (async () => {
      const now = this.clock.now().getTime();
      const latest =
        this.paused || this.stopped.signal.aborted ? undefined : latestOccurrence(this.registration.schedule, this.handledUntil, now);
      if (!latest) return;
      const first = this.registration.schedule.nextAfter(this.handledUntil)?.getTime();
      const pastDue = first !== latest.getTime() || now - latest.getTime() > PAST_DUE_TOLERANCE_MS;
      const jumpsBefore = this.jumps;
      await this.invoke(latest, pastDue);
      // Occurrences that passed while the run went on are skipped, unless the clock jumped meanwhile.
      this.handledUntil = this.jumps === jumpsBefore ? Math.max(this.clock.now().getTime(), latest.getTime()) : latest.getTime();
    })().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async invoke(occurrence: Date, isPastDue: boolean): Promise<void> {
    const { functionName, schedule } = this.registration;
    const next = schedule.nextAfter(occurrence.getTime());
    const timer: Timer = {
      isPastDue,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: occurrence.toISOString(),
        next: next?.toISOString() ?? '',
        lastUpdated: this.clock.now().toISOString(),
      },
    };
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: invocationLogHandler(this.log, functionName),
      options: { trigger: this.registration.trigger },
    });
    const late = isPastDue ? ' (past due)' : '';
    this.log('information', functionName, `Timer fired for ${occurrence.toISOString()}${late} (invocation ${context.invocationId})`);
    try {
      await this.registration.handler(timer, context);
    } catch (error) {
      this.log('error', functionName, `Invocation ${context.invocationId} failed: ${describeError(error)}`);
    }
  }
}
