import type { FieldProblem } from './armErrors';

/**
 * Microsoft.ApiManagement api-versions that have the gateway operations (self-hosted gateways
 * arrived in 2019-12-01); ARM refuses any other value.
 */
export const APIM_API_VERSIONS = [
  '2019-12-01',
  '2019-12-01-preview',
  '2020-06-01-preview',
  '2020-12-01',
  '2021-01-01-preview',
  '2021-04-01-preview',
  '2021-08-01',
  '2021-12-01-preview',
  '2022-04-01-preview',
  '2022-08-01',
  '2022-09-01-preview',
  '2023-03-01-preview',
  '2023-05-01-preview',
  '2023-09-01-preview',
  '2024-05-01',
  '2024-06-01-preview',
] as const;

/** From this api-version on, the specification types `subscriptionId` as a UUID. */
const UUID_SUBSCRIPTION_SINCE = '2024-05-01';

export const KEY_TYPES = ['primary', 'secondary'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

export const MAX_GATEWAY_TOKEN_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type ParameterRule = (value: string, apiVersion: string) => string | undefined;

function lengthAndPattern(min: number, max: number, pattern?: RegExp): (value: string) => string | undefined {
  return (value) => {
    if (value.length < min || value.length > max) return `Must be ${min} to ${max} characters long.`;
    if (pattern && !pattern.test(value)) return `Must match the pattern ${pattern.source}.`;
    return undefined;
  };
}

/** Path parameter rules of the specification, keyed by the route's named groups. */
const PATH_PARAMETER_RULES: Readonly<Record<string, ParameterRule>> = {
  subscriptionId: (value, apiVersion) =>
    apiVersion >= UUID_SUBSCRIPTION_SINCE && !UUID.test(value) ? 'The value must be an UUID.' : undefined,
  resourceGroupName: lengthAndPattern(1, 90, /^[-\w._()]+$/),
  serviceName: lengthAndPattern(1, 50, /^[a-zA-Z](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?$/),
  gatewayId: (value) =>
    lengthAndPattern(1, 80)(value) ??
    (value.toLowerCase() === 'managed' ? "Gateway entity identifier must not have value 'managed'." : undefined),
  authsid: lengthAndPattern(1, 80, /^[^*#&+:<>?]+$/),
};

export function pathParameterProblems(params: Readonly<Record<string, string>>, apiVersion: string): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const [name, value] of Object.entries(params)) {
    const message = PATH_PARAMETER_RULES[name]?.(value, apiVersion);
    if (message) problems.push({ target: name, message });
  }
  return problems;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

export function checkKeyType(body: Record<string, unknown>): Checked<KeyType> {
  const keyType = body.keyType;
  if (typeof keyType === 'string' && (KEY_TYPES as readonly string[]).includes(keyType)) {
    return { ok: true, value: keyType as KeyType };
  }
  const message = keyType === undefined ? 'The keyType field is required.' : `Must be one of: ${KEY_TYPES.join(', ')}.`;
  return { ok: false, problems: [{ target: 'keyType', message }] };
}

/** `GatewayTokenRequestContract`: both fields required; expiry in the future and at most 30 days ahead. */
export function checkGatewayTokenRequest(body: Record<string, unknown>, now: Date): Checked<{ keyType: KeyType; expiry: Date }> {
  const keyType = checkKeyType(body);
  const expiry = checkExpiry(body.expiry, now);
  if (keyType.ok && expiry.ok) return { ok: true, value: { keyType: keyType.value, expiry: expiry.value } };
  return { ok: false, problems: [...(keyType.ok ? [] : keyType.problems), ...(expiry.ok ? [] : expiry.problems)] };
}

function checkExpiry(raw: unknown, now: Date): Checked<Date> {
  const problem = (message: string): Checked<Date> => ({ ok: false, problems: [{ target: 'expiry', message }] });
  if (raw === undefined) return problem('The expiry field is required.');
  const expiry = typeof raw === 'string' ? parseIsoDateTime(raw) : undefined;
  if (!expiry) return problem('Must be a date-time in the ISO 8601 format yyyy-MM-ddTHH:mm:ssZ.');
  if (expiry.getTime() <= now.getTime()) return problem('The expiry time must be in the future.');
  if (expiry.getTime() - now.getTime() > MAX_GATEWAY_TOKEN_LIFETIME_MS) {
    return problem('Maximum token expiry time is set to 30 days.');
  }
  return { ok: true, value: expiry };
}

const ISO_DATE_TIME =
  /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.(?<fraction>\d{1,7}))?(?<zone>Z|[+-]\d{2}:\d{2})$/i;

/**
 * An ISO 8601 date-time with `Z` or an offset and up to 7 fractional digits (.NET's precision, which
 * the official example uses); `Date.parse` is not used because its acceptance of such strings is
 * implementation-defined. Sub-millisecond digits are dropped.
 */
export function parseIsoDateTime(text: string): Date | undefined {
  const groups = ISO_DATE_TIME.exec(text)?.groups;
  if (!groups) return undefined;
  const [year, month, day, hour, minute, second] = ['year', 'month', 'day', 'hour', 'minute', 'second'].map((name) =>
    Number(groups[name]),
  ) as [number, number, number, number, number, number];
  const millisecond = Number((groups.fraction ?? '').padEnd(3, '0').slice(0, 3));
  const local = new Date(Date.UTC(year, month - 1, day, hour, minute, second, millisecond));
  const calendarIsValid =
    local.getUTCFullYear() === year &&
    local.getUTCMonth() === month - 1 &&
    local.getUTCDate() === day &&
    local.getUTCHours() === hour &&
    local.getUTCMinutes() === minute &&
    local.getUTCSeconds() === second;
  if (!calendarIsValid) return undefined;
  const zone = groups.zone ?? 'Z';
  if (zone.toUpperCase() === 'Z') return local;
  const [offsetHours, offsetMinutes] = zone.slice(1).split(':').map(Number) as [number, number];
  if (offsetHours > 23 || offsetMinutes > 59) return undefined;
  const sign = zone.startsWith('-') ? -1 : 1;
  return new Date(local.getTime() - sign * (offsetHours * 60 + offsetMinutes) * 60_000);
}
