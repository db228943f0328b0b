import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import type { TimerRegistration } from './functionRegistry';
import { describeError, type HostLog, invocationLogHandler } from './hostLog';

/** Milliseconds since the epoch; injectable so tests can stand just before an occurrence. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface RunningTimers {
  stop(): void;
}

// setTimeout fires at once for delays above 2^31-1 ms (about 24.8 days); longer waits are chained.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Runs each timer function on its schedule, never at start unless it asks for `runOnStartup`.
 * Runs of one function never overlap: the next occurrence is armed once the current run has
 * finished, and occurrences missed meanwhile are skipped, as the Functions host's singleton
 * timer lock does. A failing run is logged and the schedule goes on.
 */
export function startTimers(registrations: readonly TimerRegistration[], clock: Clock, log: HostLog): RunningTimers {
  const stops = registrations.map((registration) => scheduleTimer(registration, clock, log));
  return {
    stop: () => {
      for (const stop of stops) stop();
    },
  };
}

function scheduleTimer(registration: TimerRegistration, clock: Clock, log: HostLog): () => void {
  const { functionName, schedule } = registration;
  let pending: NodeJS.Timeout | undefined;
  let stopped = false;

  const armAfter = (time: number): void => {
    if (stopped) return;
    const occurrence = schedule.nextAfter(time);
    if (occurrence) waitFor(occurrence);
    else log('warning', functionName, `schedule "${schedule.expression}" has no further occurrence`);
  };

  // Re-checks the clock on every wake-up: timers may fire early, and long waits are chained.
  const waitFor = (occurrence: Date): void => {
    const delay = occurrence.getTime() - clock.now();
    if (delay > 0) {
      pending = setTimeout(() => waitFor(occurrence), Math.min(delay, MAX_TIMEOUT_MS));
      return;
    }
    runThenRearm(occurrence);
  };

  const runThenRearm = (occurrence: Date): void => {
    void run(occurrence).then(() => armAfter(Math.max(clock.now(), occurrence.getTime())));
  };

  const run = async (occurrence: Date): Promise<void> => {
    const next = schedule.nextAfter(occurrence.getTime());
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: occurrence.toISOString(),
        next: next?.toISOString() ?? '',
        lastUpdated: new Date(clock.now()).toISOString(),
      },
    };
    const context = new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      logHandler: invocationLogHandler(log, functionName),
      options: { trigger: registration.trigger },
    });
    log('information', functionName, `Timer fired for ${occurrence.toISOString()} (invocation ${context.invocationId})`);
    try {
      await registration.handler(timer, context);
    } catch (error) {
      log('error', functionName, `Invocation ${context.invocationId} failed: ${describeError(error)}`);
    }
  };

  if (registration.runOnStartup) runThenRearm(new Date(clock.now()));
  else armAfter(clock.now());

  return () => {
    stopped = true;
    clearTimeout(pending);
  };
}
