import { createHmac, timingSafeEqual } from 'node:crypto';

export type RandomBytes = (size: number) => Buffer;

/** "Gets the Single-Sign-On token for the API Management Service which is valid for 5 Minutes." */
export const SSO_TOKEN_LIFETIME_MS = 5 * 60 * 1000;

/** The user the official SSO example signs in (`token=1&...`): the service's built-in administrator. */
const SSO_ADMINISTRATOR_USER_ID = '1';

/** Like APIM's keys: 64 random bytes in base64. */
export function newGatewayKey(randomBytes: RandomBytes): string {
  return randomBytes(64).toString('base64');
}

/** `yyyyMMddHHmm` in UTC, the date form APIM embeds in its tokens. */
export function minuteStamp(date: Date): string {
  return date.toISOString().slice(0, 16).replace(/[-T:]/g, '');
}

function parseMinuteStamp(stamp: string): Date | undefined {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  if (!match) return undefined;
  const [, year, month, day, hour, minute] = match.map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day, hour, minute));
  return minuteStamp(date) === stamp ? date : undefined;
}

/**
 * `{gatewayId}&{yyyyMMddHHmm}&{base64 HMAC-SHA512}` over `{gatewayId}\n{expiry}`, the string-to-sign
 * APIM documents for its shared-access tokens, with the expiry in .NET's round-trip form. The expiry
 * is cut to the minute the token carries, so the token alone holds everything needed to verify it
 * (and it stops being valid up to a minute before the requested expiry).
 */
export function signGatewayToken(gatewayId: string, expiry: Date, key: string): string {
  const stamp = minuteStamp(expiry);
  return `${gatewayId}&${stamp}&${gatewaySignature(gatewayId, stamp, key).toString('base64')}`;
}

/** True when the token names the gateway, is signed by one of `keys` and has not expired at `now`. */
export function verifyGatewayToken(gatewayId: string, token: string, keys: readonly string[], now: Date): boolean {
  const [tokenGatewayId, stamp, signature, ...rest] = token.split('&');
  if (rest.length > 0 || tokenGatewayId !== gatewayId || stamp === undefined || signature === undefined) return false;
  const expiry = parseMinuteStamp(stamp);
  if (!expiry || expiry.getTime() <= now.getTime()) return false;
  const presented = Buffer.from(signature, 'base64');
  return keys.some((key) => {
    const expected = gatewaySignature(gatewayId, stamp, key);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  });
}

function gatewaySignature(gatewayId: string, stamp: string, key: string): Buffer {
  const roundTripExpiry = `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(8, 10)}:${stamp.slice(10, 12)}:00.0000000Z`;
  return createHmac('sha512', key).update(`${gatewayId}\n${roundTripExpiry}`).digest();
}

/**
 * The redirect URI `getssotoken` answers: `{userId}&{yyyyMMddHHmm expiry}&{signature}` like the
 * official example, with a random signature so that every call returns a new token. The token is
 * URL-encoded with lower-case escapes (`%26`, `%2f`, `%3d`), as .NET's encoder writes them in the example.
 */
export function ssoRedirectUri(serviceName: string, issuedAt: Date, randomBytes: RandomBytes): string {
  const expiry = new Date(issuedAt.getTime() + SSO_TOKEN_LIFETIME_MS);
  const token = `${SSO_ADMINISTRATOR_USER_ID}&${minuteStamp(expiry)}&${randomBytes(64).toString('base64')}`;
  const encoded = encodeURIComponent(token).replace(/%[0-9A-F]{2}/g, (percentEscape) => percentEscape.toLowerCase());
  return `https://${serviceName}.portal.azure-api.net:443/signin-sso?token=${encoded}`;
}
