import { type Clock, systemClock } from './clock';

let current: Clock = systemClock;

/**
 * The clock of this process's broker: the system clock in Azure. The local host replaces it, before
 * the first invocation, with the one clock it shares with its emulators, timers and simulated
 * gateways, so `/_local/clock` moves all of them together; production code never calls the setter.
 */
export const processClock: Clock = {
  now: () => current.now(),
  sleep: (ms, signal) => current.sleep(ms, signal),
};

export function useProcessClock(clock: Clock): void {
  current = clock;
}
