import { systemClock } from '../../../../shared/time/clock';
import { processClock, useProcessClock } from '../../../../shared/time/processClock';
import { TestClock } from '../../../support/testClock';

describe('processClock', () => {
  afterEach(() => useProcessClock(systemClock));

  it('is the system clock until the local host hands it the shared one, then reads and sleeps on that', async () => {
    expect(Math.abs(processClock.now().getTime() - Date.now())).toBeLessThan(1_000);
    const shared = new TestClock(new Date('2031-05-01T00:00:00Z'));
    useProcessClock(shared);
    expect(processClock.now().toISOString()).toBe('2031-05-01T00:00:00.000Z');
    let woke = false;
    const sleeping = processClock.sleep(30_000).then(() => (woke = true));
    await Promise.resolve();
    expect(woke).toBe(false);
    shared.advance(30_000);
    await sleeping;
    expect(woke).toBe(true);
  });
});
