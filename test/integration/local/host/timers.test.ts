import type { InvocationContext, Timer } from '@azure/functions';
import { FunctionRegistry, type Registrations } from '../../../../local/host/functionRegistry';
import type { HostLog } from '../../../../local/host/hostLog';
import { startLocalHost } from '../../../../local/host/startLocalHost';
import { type Clock, startTimers } from '../../../../local/host/timerHost';

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
      runs.push({ timer, functionName: context.functionName, at: new Date(clock.now()).toISOString() });
      await options.handler?.(timer, context);
    },
  );
  return { registrations: registry.registrations(), runs };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timers with real time and an injected clock', () => {
  it('fires at the scheduled occurrence, not at start, and close() stops it', async () => {
    // The injected clock stands 40 ms before midnight UTC, so a daily schedule is due almost at once.
    const midnight = Date.UTC(2030, 0, 2);
    const offset = midnight - 40 - Date.now();
    const clock: Clock = { now: () => Date.now() + offset };
    const { registrations, runs } = timerApp('0 0 0 * * *', clock);
    const host = await startLocalHost({ registrations, port: 0, clock, log: () => undefined });
    try {
      expect(runs).toEqual([]);
      const deadline = Date.now() + 2000;
      while (runs.length === 0 && Date.now() < deadline) await sleep(5);
    } finally {
      await host.close();
    }
    expect(runs).toHaveLength(1);
    const [run] = runs;
    expect(run?.functionName).toBe('rotateGateways');
    expect(Date.parse(run?.at ?? '')).toBeGreaterThanOrEqual(midnight);
    expect(run?.timer).toEqual({
      isPastDue: false,
      schedule: { adjustForDST: true },
      scheduleStatus: { last: '2030-01-02T00:00:00.000Z', next: '2030-01-03T00:00:00.000Z', lastUpdated: expect.any(String) },
    });
  });

  it('does not fire after close()', async () => {
    const clock: Clock = { now: () => Date.now() + (Date.UTC(2030, 0, 2) - 30 - start) };
    const start = Date.now();
    const { registrations, runs } = timerApp('0 0 0 * * *', clock);
    const host = await startLocalHost({ registrations, port: 0, clock, log: () => undefined });
    await host.close();
    await sleep(80);
    expect(runs).toEqual([]);
  });
});

describe('timer scheduling (fake timers)', () => {
  const clock: Clock = { now: () => Date.now() };

  beforeEach(() => {
    jest.useFakeTimers({ now: Date.UTC(2030, 0, 1, 10, 0, 0, 500) });
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('fires every occurrence in turn', async () => {
    const { registrations, runs } = timerApp('*/10 * * * * *', clock);
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await jest.advanceTimersByTimeAsync(30_000);
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
    await jest.advanceTimersByTimeAsync(20_000);
    timers.stop();
    expect(runs).toHaveLength(2);
    expect(lines.filter((line) => line.startsWith('error rotateGateways Invocation'))).toHaveLength(2);
    expect(lines.some((line) => line.includes('Error: rotation failed'))).toBe(true);
  });

  it('does not overlap runs: occurrences missed during a long run are skipped', async () => {
    const { registrations, runs } = timerApp('*/10 * * * * *', clock, {
      handler: () => new Promise((resolve) => setTimeout(resolve, 25_000)),
    });
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await jest.advanceTimersByTimeAsync(60_000);
    timers.stop();
    expect(runs.map((run) => run.timer.scheduleStatus.last)).toEqual(['2030-01-01T10:00:10.000Z', '2030-01-01T10:00:40.000Z']);
  });

  it('waits beyond the setTimeout limit (about 24.8 days) without firing early', async () => {
    const { registrations, runs } = timerApp('0 0 0 1 3 *', clock);
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await jest.advanceTimersByTimeAsync(Date.UTC(2030, 2, 1) - Date.now() - 1000);
    expect(runs).toEqual([]);
    await jest.advanceTimersByTimeAsync(1000);
    timers.stop();
    expect(runs.map((run) => run.at)).toEqual(['2030-03-01T00:00:00.000Z']);
  });

  it('honours runOnStartup', async () => {
    const { registrations, runs } = timerApp('0 0 0 * * *', clock, { runOnStartup: true });
    const timers = startTimers(registrations.timers, clock, () => undefined);
    await jest.advanceTimersByTimeAsync(0);
    timers.stop();
    expect(runs.map((run) => run.at)).toEqual(['2030-01-01T10:00:00.500Z']);
  });
});
