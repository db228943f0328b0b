import {
  base64url,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { SIGNING_ALGORITHM } from './signingKeys';

/**
 * Forgeries of a valid token for rejection tests. Each keeps the original's claims, so the only
 * reason a verifier may refuse it is the forgery itself.
 */

/** The claims with `alg: none` and an empty signature. */
export function algNoneToken(validToken: string): string {
  return new UnsecuredJWT(decodeJwt(validToken)).encode();
}

/** The algorithm-confusion attack: HS256 keyed with the issuer's public key PEM, under the original kid. */
export function publicKeyHmacToken(validToken: string, publicKeyPem: string): Promise<string> {
  const { kid } = decodeProtectedHeader(validToken);
  return new SignJWT(decodeJwt(validToken))
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT', ...(kid === undefined ? {} : { kid }) })
    .sign(new TextEncoder().encode(publicKeyPem));
}

/**
 * The claims signed by a fresh RSA key that no JWKS publishes: under its own kid by default
 * (an unknown kid), or under `kid` to impersonate a published key.
 */
export async function foreignKeyToken(validToken: string, options: { kid?: string } = {}): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair(SIGNING_ALGORITHM);
  const kid = options.kid ?? (await calculateJwkThumbprint(await exportJWK(publicKey)));
  return new SignJWT(decodeJwt(validToken)).setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: 'JWT', kid }).sign(privateKey);
}

/** The original header and signature over a payload with `claimChanges` merged in. */
export function tamperedToken(validToken: string, claimChanges: Record<string, unknown>): string {
  const [header, , signature] = validToken.split('.');
  if (header === undefined || signature === undefined) throw new Error('Not a compact JWS');
  const payload = base64url.encode(JSON.stringify({ ...decodeJwt(validToken), ...claimChanges }));
  return `${header}.${payload}.${signature}`;
}
