import { randomUUID } from 'node:crypto';
import { InvocationContext, type Timer } from '@azure/functions';
import type { Clock } from '../../shared/time/clock';
import type { TimerRegistration } from './functionRegistry';
import { describeError, type HostLog, invocationLogHandler } from './hostLog';

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
  const stopped = new AbortController();

  // Re-checks the clock after every wake-up: a wait may end early, and long waits are chained.
  const waitUntil = async (occurrence: Date): Promise<void> => {
    for (let delay = occurrence.getTime() - clock.now().getTime(); delay > 0; delay = occurrence.getTime() - clock.now().getTime()) {
      await clock.sleep(Math.min(delay, MAX_TIMEOUT_MS), stopped.signal);
    }
  };

  const run = async (occurrence: Date): Promise<void> => {
    const next = schedule.nextAfter(occurrence.getTime());
    const timer: Timer = {
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: {
        last: occurrence.toISOString(),
        next: next?.toISOString() ?? '',
        lastUpdated: clock.now().toISOString(),
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

  const loop = async (): Promise<void> => {
    let after = clock.now().getTime();
    if (registration.runOnStartup) await run(new Date(after));
    while (!stopped.signal.aborted) {
      const occurrence = schedule.nextAfter(after);
      if (!occurrence) {
        log('warning', functionName, `schedule "${schedule.expression}" has no further occurrence`);
        return;
      }
      await waitUntil(occurrence);
      if (stopped.signal.aborted) return;
      await run(occurrence);
      after = Math.max(clock.now().getTime(), occurrence.getTime());
    }
  };

  // A stop aborts the wait in progress; that rejection is how the loop ends.
  loop().catch((error: unknown) => {
    if (!stopped.signal.aborted) log('error', functionName, `Timer loop failed: ${describeError(error)}`);
  });
  return () => stopped.abort();
}
