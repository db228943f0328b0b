import { parseNcrontab } from '../../../../shared/time/ncrontab';

const at = (iso: string) => Date.parse(iso);
const next = (expression: string, afterIso: string) => parseNcrontab(expression).nextAfter(at(afterIso))?.toISOString();

/** The first `count` occurrences after `afterIso`. */
function occurrences(expression: string, afterIso: string, count: number): string[] {
  const schedule = parseNcrontab(expression);
  const found: string[] = [];
  let cursor = at(afterIso);
  while (found.length < count) {
    const occurrence = schedule.nextAfter(cursor);
    if (!occurrence) break;
    found.push(occurrence.toISOString());
    cursor = occurrence.getTime();
  }
  return found;
}

describe('NCRONTAB next occurrence (UTC)', () => {
  it('returns the next occurrence strictly after the given time', () => {
    expect(next('0 0 * * * *', '2025-03-01T10:00:00.000Z')).toBe('2025-03-01T11:00:00.000Z');
    expect(next('0 0 * * * *', '2025-03-01T09:59:59.999Z')).toBe('2025-03-01T10:00:00.000Z');
    expect(next('* * * * * *', '2025-03-01T10:00:00.400Z')).toBe('2025-03-01T10:00:01.000Z');
  });

  it('rolls over days, months and years', () => {
    expect(next('0 30 2 * * *', '2025-12-31T03:00:00Z')).toBe('2026-01-01T02:30:00.000Z');
    expect(next('0 0 0 1 * *', '2025-01-15T00:00:00Z')).toBe('2025-02-01T00:00:00.000Z');
  });

  it('supports steps, ranges, stepped ranges, start/step and lists', () => {
    expect(occurrences('*/15 * * * * *', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-01T00:00:15.000Z',
      '2025-01-01T00:00:30.000Z',
      '2025-01-01T00:00:45.000Z',
      '2025-01-01T00:01:00.000Z',
    ]);
    expect(occurrences('0 0 9-17/4 * * *', '2025-01-01T00:00:00Z', 4)).toEqual([
      '2025-01-01T09:00:00.000Z',
      '2025-01-01T13:00:00.000Z',
      '2025-01-01T17:00:00.000Z',
      '2025-01-02T09:00:00.000Z',
    ]);
    expect(occurrences('0 50/5 * * * *', '2025-01-01T00:00:00Z', 3)).toEqual([
      '2025-01-01T00:50:00.000Z',
      '2025-01-01T00:55:00.000Z',
      '2025-01-01T01:50:00.000Z',
    ]);
    expect(occurrences('0 0 6,18 * * *', '2025-01-01T12:00:00Z', 2)).toEqual(['2025-01-01T18:00:00.000Z', '2025-01-02T06:00:00.000Z']);
  });

  it('runs on weekdays only with a day-of-week range (Sunday = 0)', () => {
    // 2025-01-03 is a Friday.
    expect(occurrences('0 0 3 * * 1-5', '2025-01-03T12:00:00Z', 2)).toEqual(['2025-01-06T03:00:00.000Z', '2025-01-07T03:00:00.000Z']);
  });

  it('requires both day and day-of-week to match, as NCrontab does', () => {
    // Friday the 13th: 2025-06-13 is the first after the start date.
    expect(next('0 0 0 13 * 5', '2025-01-01T00:00:00Z')).toBe('2025-06-13T00:00:00.000Z');
  });

  it('skips months without the requested day', () => {
    expect(occurrences('0 0 0 31 * *', '2025-01-31T12:00:00Z', 2)).toEqual(['2025-03-31T00:00:00.000Z', '2025-05-31T00:00:00.000Z']);
    expect(next('0 0 0 29 2 *', '2025-01-01T00:00:00Z')).toBe('2028-02-29T00:00:00.000Z');
  });
});

describe('NCRONTAB parsing errors', () => {
  it.each([
    ['0 0 * * *', /expected 6 fields .* got 5/],
    ['60 * * * * *', /second value 60 is outside 0-59/],
    ['0 0 24 * * *', /hour value 24 is outside 0-23/],
    ['0 0 0 0 * *', /day value 0 is outside 1-31/],
    ['0 0 0 * 13 *', /month value 13 is outside 1-12/],
    ['0 0 0 * * 7', /day-of-week value 7 is outside 0-6/],
    ['0 0 0 * * Mon', /day-of-week field "Mon" is not a number, range, step or list/],
    ['*/0 * * * * *', /step must be at least 1/],
    ['0 10-5 * * * *', /range 10-5 is reversed/],
    ['0 *-5 * * * *', /"\*" cannot start a range/],
    ['0 0 0 30 2 *', /never occurs/],
    ['00:05:00', /expected 6 fields/],
  ])('refuses %s', (expression, message) => {
    expect(() => parseNcrontab(expression)).toThrow(message);
  });
});
