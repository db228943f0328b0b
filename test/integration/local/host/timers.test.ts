import type { InvocationContext, Timer } from '@azure/functions';
import { FunctionRegistry, type Registrations } from '../../../../local/host/functionRegistry';
import type { HostLog } from '../../../../local/host/hostLog';
import { startLocalHost } from '../../../../local/host/startLocalHost';
import { startTimers } from '../../../../local/host/timerHost';
import type { Clock } from '../../../../shared/time/clock';
import { TestClock } from '../../../support/testClock';

interface Run {
  timer: Timer;
  functionName: string;
  at: string;
}

function timerApp(
  schedule: string,
  clock: Clock,
  options: { runOnStartup?: boolean; handler?: (timer: Timer, context: InvocationContext) => Promise<void> } = {},
): { registrations: Registrations; runs: Run[] } {
  const runs: Run[] = [];
  const registry = new FunctionRegistry(() => undefined);
  registry.registerFunction(
    {
      name: 'rotateGateways',
      bindings: { timer: { type: 'timerTrigger', direction: 'in', schedule, runOnStartup: options.runOnStartup ?? false } },
    },
    async (timer: Timer, context: InvocationContext) => {
      runs.push({ timer, functionName: context.functionName, at: clock.now().toISOString() });
      await options.handler?.(timer, context);
    },
  );
  return { registrations: registry.registrations(), runs };
}

/** Lets every promise chain that a clock move released run to its end; no real time passes. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Moves the clock `ms` forward in `stepMs` steps, settling after each, as time passes for a running host. */
async function advanceInSteps(clock: TestClock, ms: number, stepMs = 1_000): Promise<void> {
  for (let moved = 0; moved < ms; moved += stepMs) {
    clock.advance(Math.min(stepMs, ms - moved));
    await settle();
  }
}

describe('timers on the local host, driven by the shared clock', () => {
  it('fires at the scheduled occurrence, not at start, and close() stops it', async () => {
    const clock = new TestClock(new Date(Date.UTC(2030, 0, 1, 23, 59, 59)));
    const { registrations, runs } = timerApp('0 0 0 * * *', clock);
    const host = await startLocalHost({ registrations, port: 0, clock, log: () => undefined });
    try {
      await settle();
      expect(runs).toEqual([]);
      clock.advance(999);
      await settle();
      expect(runs).toEqual([]);
      clock.advance(1);
      await settle();
    } finally {
      await host.close();
    }
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run?.functionName).toBe('rotateGateways');
    expect(run?.at).toBe('2030-01-02T00:00:00.000Z');
    expect(run?.timer).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '2030-01-02T00:00:00.000Z', next: '2030-01-03T00:00:00.000Z', lastUpdated: '2030-01-02T00:00:00.000Z' },
    });
  });

  it('does not fire after close(): its wait is cancelled, and a day later nothing has run', async () => {
    const clock = new TestClock(new Date(Date.UTC(2030, 0, 1, 23, 59, 59)));
    const { registrations, runs } = timerApp('0 0 0 * * *', clock);
    const host = await startLocalHost({ registrations, port: 0, clock, log: () => undefined });
    await settle();
    expect(clock.pendingSleeps).toBe(1);
    await host.close();
    await settle();
    expect(clock.pendingSleeps).toBe(0);
    clock.advance(86_400_000);
    await settle();
    expect(runs).toEqual([]);
  });
});

describe('timer scheduling', () => {
  let clock: TestClock;

  beforeEach(() => {
    clock = new TestClock(new Date(Date.UTC(2030, 0, 1, 10, 0, 0)));
  });

  it('fires every occurrence in turn', async () => {
    const { registrations, runs } = timerApp('*/10 * * * * *', clock);
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await advanceInSteps(clock, 30_000);
    timers.stop();
    expect(runs.map((run) => run.timer.scheduleStatus.last)).toEqual([
      '2030-01-01T10:00:10.000Z',
      '2030-01-01T10:00:20.000Z',
      '2030-01-01T10:00:30.000Z',
    ]);
  });

  it('logs a failing run and keeps the schedule', async () => {
    const lines: string[] = [];
    const log: HostLog = (level, source, message) => lines.push(`${level} ${source} ${message}`);
    const { registrations, runs } = timerApp('*/10 * * * * *', clock, {
      handler: async () => {
        throw new Error('rotation failed');
      },
    });
    const timers = startTimers(registrations.timers, clock, log);
    await advanceInSteps(clock, 20_000);
    timers.stop();
    expect(runs).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('error rotateGateways Invocation'))).toHaveLength(2);
    expect(lines.some((line) => line.includes('Error: rotation failed'))).toBe(true);
  });

  it('does not overlap runs: occurrences missed during a long run are skipped', async () => {
    const { registrations, runs } = timerApp('*/10 * * * * *', clock, { handler: () => clock.sleep(25_000) });
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await advanceInSteps(clock, 60_000);
    timers.stop();
    expect(runs.map((run) => run.timer.scheduleStatus.last)).toEqual(['2030-01-01T10:00:10.000Z', '2030-01-01T10:00:40.000Z']);
  });

  it('waits beyond the setTimeout limit (about 24.8 days) without firing early', async () => {
    const { registrations, runs } = timerApp('0 0 0 1 3 *', clock);
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await settle();
    clock.set(new Date(Date.UTC(2030, 1, 28, 23, 59, 59)));
    await settle();
    await settle();
    expect(runs).toEqual([]);
    clock.advance(1000);
    await settle();
    timers.stop();
    expect(runs.map((run) => run.at)).toEqual(['2030-03-01T00:00:00.000Z']);
  });

  it('honours runOnStartup', async () => {
    const { registrations, runs } = timerApp('0 0 0 * * *', clock, { runOnStartup: true });
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await settle();
    timers.stop();
    expect(runs.map((run) => run.at)).toEqual(['2030-01-01T10:00:00.000Z']);
  });
});
