import { setTimeout as delay } from 'node:timers/promises';

/**
 * The one source of time for the broker and everything the local environment runs beside it
 * (emulators, the local host's timers): the current instant, and waits measured on the same clock.
 * Injected everywhere, so a test or the local control routes can move time without anyone sleeping.
 */
export interface Clock {
  now(): Date;
  /** Resolves once `ms` of this clock's time has passed; rejects with an `AbortError` when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) => delay(Math.max(0, ms), undefined, signal === undefined ? undefined : { signal }),
};
