import { SingleFlight } from '../../../../shared/cache/singleFlight';

/** How the cache uses it: join the flight under way, or start one. */
const run = <T>(flights: SingleFlight<T>, key: string, work: () => Promise<T>) => flights.join(key) ?? flights.start(key, work);

describe('single-flight', () => {
  it('runs concurrent identical work once and gives every caller its result', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (value: number) => void;
    const work = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const callers = Array.from({ length: 100 }, () => run(flights, 'k', work));
    release(42);
    expect(await Promise.all(callers)).toEqual(Array(100).fill(42));
    expect(runs).toBe(1);
  });

  it('shares a failure with the waiters and does not remember it', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    const failing = () => {
      runs += 1;
      return Promise.reject(new Error('upstream down'));
    };
    const results = await Promise.allSettled([run(flights, 'k', failing), run(flights, 'k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toBe(1);
    await expect(run(flights, 'k', async () => 7)).resolves.toBe(7);
  });

  it('keeps different keys apart', async () => {
    const flights = new SingleFlight<string>();
    expect(await Promise.all([run(flights, 'a', async () => 'A'), run(flights, 'b', async () => 'B')])).toEqual(['A', 'B']);
  });

  it('tells a caller whether a flight is under way, so only the one that starts it is charged', async () => {
    const flights = new SingleFlight<number>();
    expect(flights.join('k')).toBeUndefined();
    const started = flights.start('k', async () => 1);
    expect(flights.join('k')).toBe(started);
    await started;
    expect(flights.join('k')).toBeUndefined();
  });
});
