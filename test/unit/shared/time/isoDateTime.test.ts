import { parseIsoDateTime } from '../../../../shared/time/isoDateTime';

describe('ISO 8601 date-times', () => {
  it.each([
    ['2026-12-01T00:00:00Z', '2026-12-01T00:00:00.000Z'],
    ['2020-04-21T00:44:24.2845269Z', '2020-04-21T00:44:24.284Z'],
    ['2026-12-01T14:00:00+14:00', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T00:00:00-14:00', '2026-12-01T14:00:00.000Z'],
    ['2026-12-01T05:30:00+05:30', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T00:00:00+13:59', '2026-11-30T10:01:00.000Z'],
    ['2000-01-01T00:00:00Z', '2000-01-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
  ])('reads %s as %s', (text, instant) => expect(parseIsoDateTime(text)?.toISOString()).toBe(instant));

  it.each([
    ['an offset beyond +14:00', '2026-12-01T00:00:00+14:01'],
    ['an offset beyond -14:00', '2026-12-01T00:00:00-14:30'],
    ['offset minutes over 59', '2026-12-01T00:00:00+05:75'],
    ['offset minutes of 60 (13:60 is 14:00 spelled wrong)', '2026-12-01T00:00:00+13:60'],
    ['a year before 2000', '1999-12-31T23:59:59Z'],
    ['year 0050, which Date.UTC reads as 1950', '0050-01-01T00:00:00Z'],
    ['year 0000', '0000-01-01T00:00:00Z'],
    ['Feb 30', '2027-02-30T00:00:00Z'],
    ['no zone', '2026-12-01T00:00:00'],
  ])('refuses %s (%s)', (_case, text) => expect(parseIsoDateTime(text)).toBeUndefined());
});
