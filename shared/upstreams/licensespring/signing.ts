import { createHmac } from 'node:crypto';

/**
 * LicenseSpring License API request signing ("API key authorization"):
 * https://docs.licensespring.com/license-api/license-api-authorization/api-key-authorization
 * and .../request-signature. The vector in test/fixtures/vectors/licensespring pins the format.
 */

export const SIGNING_ALGORITHM = 'hmac-sha256';
/** The only header the scheme signs; the server rejects any other list. */
export const SIGNED_HEADERS = 'date';

/** The four parameters of the `Authorization` header, named as the vendor names them. */
export interface LicenseSpringAuthorization {
  algorithm: string;
  headers: string;
  signature: string;
  apikey: string;
}

export const AUTHORIZATION_PARAMETERS: readonly (keyof LicenseSpringAuthorization)[] = ['algorithm', 'headers', 'signature', 'apikey'];

export interface SigningCredentials {
  apiKey: string;
  sharedKey: string;
  /** The exact `Date` header value sent with the request. */
  date: string;
}

/** The `Date` header value: RFC 7231 IMF-fixdate, always GMT (e.g. `Tue, 07 Jun 2011 20:51:35 GMT`). */
export function licenseSpringDate(now: Date): string {
  return now.toUTCString();
}

/** No trailing newline: the server signs exactly these bytes. */
export function signingString(date: string): string {
  return `licenseSpring\ndate: ${date}`;
}

/** base64(HMAC-SHA256(sharedKey, signingString(date))). */
export function sign(sharedKey: string, date: string): string {
  return createHmac('sha256', sharedKey).update(signingString(date)).digest('base64');
}

/** The header carries no scheme prefix, unlike `Bearer`/`Signature` schemes elsewhere. */
export function authorizationHeader({ apiKey, sharedKey, date }: SigningCredentials): string {
  const signature = sign(sharedKey, date);
  return `algorithm="${SIGNING_ALGORITHM}",headers="${SIGNED_HEADERS}",signature="${signature}",apikey="${apiKey}"`;
}

/**
 * Reads an `Authorization` value into its parameters. The vendor's own example puts a space after
 * each comma, so whitespace around separators is allowed. Returns undefined when the value is not a
 * comma-separated list of quoted pairs or repeats a parameter; a well-formed list that lacks some of
 * the four parameters comes back without them, so a caller can name what is missing. Parameters the
 * scheme does not define are ignored.
 */
export function parseAuthorizationHeader(value: string): Partial<LicenseSpringAuthorization> | undefined {
  // One `name="value"` pair and the separator after it; sticky, so pairs must follow each other exactly.
  const pair = /\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*"([^"]*)"\s*(,|$)/y;
  const parsed: Partial<LicenseSpringAuthorization> = {};
  const seen = new Set<string>();
  while (pair.lastIndex < value.length) {
    const match = pair.exec(value);
    if (!match) return undefined;
    const [, rawName = '', parameterValue = '', separator] = match;
    const name = rawName.toLowerCase();
    if (seen.has(name)) return undefined;
    seen.add(name);
    if (isAuthorizationParameter(name)) parsed[name] = parameterValue;
    if (separator === '') return parsed;
  }
  // Empty, or a trailing comma with nothing after it.
  return undefined;
}

function isAuthorizationParameter(name: string): name is keyof LicenseSpringAuthorization {
  return (AUTHORIZATION_PARAMETERS as readonly string[]).includes(name);
}
