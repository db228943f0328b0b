/**
 * NCRONTAB, the six-field cron dialect of Azure Functions timer triggers:
 * `second minute hour day month day-of-week`, evaluated in UTC (the Functions default).
 *
 * Each field accepts `*`, a number, a range `a-b`, a step `*\/n`, `a-b/n` or `a/n` (from a to the
 * field's maximum), and comma-separated lists of those. Names (`Mon`, `Jan`) are not supported.
 * As in NCrontab, and unlike Vixie cron, a time must match BOTH the day and the day-of-week field.
 */
export interface NcrontabSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (ms since the epoch), or undefined if none. */
  nextAfter(after: number): Date | undefined;
}

interface FieldSpec {
  name: string;
  min: number;
  max: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 6 },
];

// Day and day-of-week combinations repeat within 28 years (the Gregorian leap cycle aside), so a
// schedule with no occurrence in that window has none at all (e.g. `0 0 0 30 2 *`).
const SEARCH_YEARS = 28;

export function parseNcrontab(expression: string): NcrontabSchedule {
  const texts = expression.trim().split(/\s+/);
  if (texts.length !== FIELDS.length) {
    throw new Error(
      `Invalid NCRONTAB expression "${expression}": expected 6 fields (second minute hour day month day-of-week), got ${texts.length}`,
    );
  }
  const [seconds, minutes, hours, days, months, weekdays] = FIELDS.map((spec, index) => {
    try {
      return parseField(texts[index] ?? '', spec);
    } catch (error) {
      throw new Error(`Invalid NCRONTAB expression "${expression}": ${(error as Error).message}`);
    }
  }) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];

  const schedule: NcrontabSchedule = {
    expression,
    nextAfter(after) {
      let t = new Date(Math.floor(after / 1000) * 1000 + 1000);
      const lastYear = t.getUTCFullYear() + SEARCH_YEARS;
      while (t.getUTCFullYear() <= lastYear) {
        const [year, month, day, hour, minute] = [t.getUTCFullYear(), t.getUTCMonth(), t.getUTCDate(), t.getUTCHours(), t.getUTCMinutes()];
        if (!months.has(month + 1)) t = new Date(Date.UTC(year, month + 1, 1));
        else if (!days.has(day) || !weekdays.has(t.getUTCDay())) t = new Date(Date.UTC(year, month, day + 1));
        else if (!hours.has(hour)) t = new Date(Date.UTC(year, month, day, hour + 1));
        else if (!minutes.has(minute)) t = new Date(Date.UTC(year, month, day, hour, minute + 1));
        else if (!seconds.has(t.getUTCSeconds())) t = new Date(t.getTime() + 1000);
        else return t;
      }
      return undefined;
    },
  };
  if (schedule.nextAfter(Date.UTC(2000, 0, 1)) === undefined) {
    throw new Error(`Invalid NCRONTAB expression "${expression}": it never occurs`);
  }
  return schedule;
}

function parseField(text: string, spec: FieldSpec): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\*|\d+)(?:-(\d+))?(?:\/(\d+))?$/.exec(part);
    if (!match) throw new Error(`${spec.name} field "${text}" is not a number, range, step or list`);
    const [, start = '', end, step] = match;
    const wildcard = start === '*';
    if (wildcard && end !== undefined) throw new Error(`${spec.name} field "${text}": "*" cannot start a range`);
    const first = wildcard ? spec.min : checkedValue(start, spec);
    const last = wildcard || (end === undefined && step !== undefined) ? spec.max : checkedValue(end ?? start, spec);
    const every = step === undefined ? 1 : Number(step);
    if (every < 1) throw new Error(`${spec.name} field "${text}": step must be at least 1`);
    if (first > last) throw new Error(`${spec.name} field "${text}": range ${first}-${last} is reversed`);
    for (let value = first; value <= last; value += every) values.add(value);
  }
  return values;
}

function checkedValue(text: string, spec: FieldSpec): number {
  const value = Number(text);
  if (value < spec.min || value > spec.max) {
    throw new Error(`${spec.name} value ${text} is outside ${spec.min}-${spec.max}`);
  }
  return value;
}
