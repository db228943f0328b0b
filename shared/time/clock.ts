/** The broker's only source of the current time, injected so tests of time never sleep. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
