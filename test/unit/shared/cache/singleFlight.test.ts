import { SingleFlight } from '../../../../shared/cache/singleFlight';

describe('single-flight', () => {
  it('runs concurrent identical work once and gives every caller its result', async () => {
    const flights = new SingleFlight<number>();
    let runs = 0;
    let release!: (value: number) => void;
    const work = () => {
      runs += 1;
      return new Promise<number>((resolve) => (release = resolve));
    };
    const callers = Array.from({ length: 100 }, () => flights.run('k', work));
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
    const results = await Promise.allSettled([flights.run('k', failing), flights.run('k', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(runs).toBe(1);
    await expect(flights.run('k', async () => 7)).resolves.toBe(7);
  });

  it('keeps different keys apart', async () => {
    const flights = new SingleFlight<string>();
    expect(await Promise.all([flights.run('a', async () => 'A'), flights.run('b', async () => 'B')])).toEqual(['A', 'B']);
  });
});
