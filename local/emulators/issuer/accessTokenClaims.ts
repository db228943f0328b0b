import { randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** Entra access token versions: the API's app registration (`accessTokenAcceptedVersion`) picks one. */
export type AccessTokenVersion = 1 | 2;

export interface AppTokenClaimsInput {
  version: AccessTokenVersion;
  /** The `iss` for this version and tenant. */
  issuer: string;
  tenant: string;
  audience: string;
  /** The calling application's client id (`appid` in v1, `azp` in v2). */
  appId: string;
  /** The calling service principal's object id; app tokens carry it as `sub` too. */
  oid: string;
  roles: readonly string[];
  name?: string;
  issuedAt: Date;
  notBefore: Date;
  lifetimeSeconds: number;
  /** Added last, so they override; an `undefined` value removes the claim (JSON drops it). */
  extraClaims?: Record<string, unknown>;
}

/** The client authenticated with a certificate or as a managed identity, as callers in Azure do. */
const CERTIFICATE_CLIENT_AUTHENTICATION = '2';

/**
 * The claims of an app-only (client credentials) access token as Entra ID issues them, in its
 * order. Opaque internal claims (`aio`, `rh`) are left out: nothing may interpret them.
 */
export function appTokenClaims(input: AppTokenClaimsInput): JWTPayload {
  const issuedAt = epochSeconds(input.issuedAt);
  const clientClaims =
    input.version === 1
      ? { appid: input.appId, appidacr: CERTIFICATE_CLIENT_AUTHENTICATION, idp: input.issuer }
      : { azp: input.appId, azpacr: CERTIFICATE_CLIENT_AUTHENTICATION };
  return {
    aud: input.audience,
    iss: input.issuer,
    iat: issuedAt,
    nbf: epochSeconds(input.notBefore),
    exp: issuedAt + input.lifetimeSeconds,
    ...clientClaims,
    idtyp: 'app',
    ...(input.name === undefined ? {} : { name: input.name }),
    oid: input.oid,
    roles: [...input.roles],
    sub: input.oid,
    tid: input.tenant,
    uti: randomBytes(16).toString('base64url'),
    ver: input.version === 1 ? '1.0' : '2.0',
    ...input.extraClaims,
  };
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
