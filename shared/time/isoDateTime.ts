const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/**
 * No expiry means a year before 2000 (and `Date.UTC` would read years below 100 as 19xx); no time
 * zone is further from UTC than Kiribati's +14:00.
 */
export const DATE_TIME_LIMITS = { minYear: 2000, maxYear: 9999, maxOffsetHours: 14 } as const;

/**
 * An ISO 8601 date-time with `Z` or an offset, to the millisecond (ARM's own example sends seven
 * fractional digits). Undefined for anything else, including dates that do not exist (Feb 30),
 * years outside {@link DATE_TIME_LIMITS} and offsets beyond ±14:00 or with minutes over 59.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const match = ISO_DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction = '', zone = 'Z'] = match;
  const fields = [year, month, day, hour, minute, second].map(Number) as [number, number, number, number, number, number];
  const [y, mo, d, h, mi, s] = fields;
  if (y < DATE_TIME_LIMITS.minYear || y > DATE_TIME_LIMITS.maxYear) return undefined;
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 59) return undefined;
  const utc = Date.UTC(y, mo - 1, d, h, mi, s, Number(fraction.padEnd(3, '0').slice(0, 3)));
  if (new Date(utc).getUTCDate() !== d) return undefined;
  const [offsetHours, offsetMinutesPart] = zone === 'Z' ? [0, 0] : [Number(zone.slice(1, 3)), Number(zone.slice(4, 6))];
  if (offsetMinutesPart > 59) return undefined;
  const offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (offsetHours * 60 + offsetMinutesPart);
  if (Math.abs(offsetMinutes) > DATE_TIME_LIMITS.maxOffsetHours * 60) return undefined;
  return new Date(utc - offsetMinutes * 60_000);
}

/** The same instant cut to whole seconds, never later than given. */
export function toWholeSeconds(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000);
}

/** `2026-11-23T07:43:35Z`: the documented `yyyy-MM-ddTHH:mm:ssZ` form ARM asks for. */
export function formatUtcSeconds(date: Date): string {
  return toWholeSeconds(date).toISOString().replace('.000Z', 'Z');
}
