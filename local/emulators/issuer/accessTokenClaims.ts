import { createHash, randomBytes } from 'node:crypto';
import type { JWTPayload } from 'jose';

/** Entra access token versions: the API's app registration (`accessTokenAcceptedVersion`) picks one. */
export type AccessTokenVersion = 1 | 2;

/** The signed-in user of a delegated token. */
export interface DelegatedUser {
  /** The delegated scopes the user consented to (`scp`, space-separated). */
  scopes: readonly string[];
  /** The user's sign-in name (`preferred_username` in v2, `upn` and `unique_name` in v1). */
  username: string;
}

export interface AccessTokenClaimsInput {
  version: AccessTokenVersion;
  /** The `iss` for this version and tenant. */
  issuer: string;
  tenant: string;
  audience: string;
  /** The calling application's client id (`appid` in v1, `azp` in v2). */
  appId: string;
  /** The object id of the principal: the service principal's (app tokens carry it as `sub` too), or the user's. */
  oid: string;
  /** App roles assigned to the principal, user or application. */
  roles: readonly string[];
  name?: string;
  /** Makes a delegated token: the user `oid` signed in through the client app `appId`. */
  delegated?: DelegatedUser;
  issuedAt: Date;
  notBefore: Date;
  lifetimeSeconds: number;
  /** Added last, so they override; an `undefined` value removes the claim (JSON drops it). */
  extraClaims?: Record<string, unknown>;
}

/** The client authenticated with a certificate or as a managed identity, as callers in Azure do. */
const CERTIFICATE_CLIENT_AUTHENTICATION = '2';
/** A confidential client with a secret, as a Logic Apps custom connector's app registration signs users in. */
const SECRET_CLIENT_AUTHENTICATION = '1';

/**
 * The claims of an access token as Entra ID issues them, in its order: app-only (client
 * credentials, a managed identity) by default, delegated with `delegated`. Delegated tokens carry
 * `scp` and a pairwise `sub` (one per user and client), and no `idtyp` unless the app registration
 * asks for that optional claim. Opaque internal claims (`aio`, `rh`, `sid`) are left out: nothing
 * may interpret them.
 */
export function accessTokenClaims(input: AccessTokenClaimsInput): JWTPayload {
  const issuedAt = epochSeconds(input.issuedAt);
  const user = input.delegated;
  const clientAuthentication = user ? SECRET_CLIENT_AUTHENTICATION : CERTIFICATE_CLIENT_AUTHENTICATION;
  const clientClaims =
    input.version === 1
      ? {
          ...(user ? { acr: '1', amr: ['pwd'] } : {}),
          appid: input.appId,
          appidacr: clientAuthentication,
          ...(user ? {} : { idp: input.issuer }),
        }
      : { azp: input.appId, azpacr: clientAuthentication };
  const userClaims = user
    ? input.version === 1
      ? { unique_name: user.username, upn: user.username }
      : { preferred_username: user.username }
    : {};
  return {
    aud: input.audience,
    iss: input.issuer,
    iat: issuedAt,
    nbf: epochSeconds(input.notBefore),
    exp: issuedAt + input.lifetimeSeconds,
    ...clientClaims,
    ...(user ? {} : { idtyp: 'app' }),
    ...(input.name === undefined ? {} : { name: input.name }),
    oid: input.oid,
    ...(input.version === 2 ? userClaims : {}),
    roles: [...input.roles],
    ...(user ? { scp: user.scopes.join(' ') } : {}),
    sub: user ? pairwiseSubject(input.oid, input.appId) : input.oid,
    tid: input.tenant,
    ...(input.version === 1 ? userClaims : {}),
    uti: randomBytes(16).toString('base64url'),
    ver: input.version === 1 ? '1.0' : '2.0',
    ...input.extraClaims,
  };
}

/** Entra's `sub` of a user is pairwise: stable per user and client, and no object id. */
function pairwiseSubject(oid: string, appId: string): string {
  return createHash('sha256').update(`${oid}|${appId}`).digest('base64url');
}

function epochSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}
