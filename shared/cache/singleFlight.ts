/**
 * Concurrent requests for the same thing share one execution of the work and its outcome, failure
 * included; nothing is remembered once it settles, so a failure is never cached. Joining and starting
 * are separate steps, so the caller knows whether it caused the work (and is charged and audited for
 * it) or rode along.
 */
export class SingleFlight<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  /** The flight under way for `key`, if any. */
  join(key: string): Promise<T> | undefined {
    return this.inFlight.get(key);
  }

  /** Starts the flight for `key`; callers check {@link join} first, so there is at most one. */
  start(key: string, work: () => Promise<T>): Promise<T> {
    const flight = work().finally(() => {
      if (this.inFlight.get(key) === flight) this.inFlight.delete(key);
    });
    this.inFlight.set(key, flight);
    return flight;
  }
}
