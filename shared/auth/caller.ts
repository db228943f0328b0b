/** Who is calling, as the broker audits and authorizes them. */
export interface Caller {
  /** The principal's object ID (`oid`: the user's for a delegated token), else `sub`: what the mint limit counts per. */
  id: string;
  /** The client application (`appid` in v1 tokens, `azp` in v2). */
  appId?: string;
  name?: string;
  /** App roles, which Entra assigns to users (delegated tokens) and to applications (application tokens) alike. */
  roles: readonly string[];
  /** Only for a delegated token (a user signed in through a client app): the scopes of its `scp`. */
  delegatedScopes?: readonly string[];
}

/** Why validated claims describe no caller the broker accepts. */
export type NoCaller = 'no oid or sub claim' | 'neither application nor delegated token';

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

/**
 * The delegated scopes of a delegated token, `null` for an application token, `undefined` when the
 * claims contradict each other. Entra says which it is in `idtyp` (`app` or `user`: always in v2
 * application tokens, an optional claim otherwise); without `idtyp`, `scp` decides, since Entra
 * writes delegated scopes into delegated tokens only, in v1 and v2 alike. An application token
 * with `scp`, an `idtyp` of neither kind, or a `scp` that is no string is no token Entra issues.
 */
function delegatedScopes(claims: Record<string, unknown>): readonly string[] | null | undefined {
  const { idtyp, scp } = claims;
  if (scp !== undefined && typeof scp !== 'string') return undefined;
  if (idtyp === 'app') return scp === undefined ? null : undefined;
  if (idtyp !== undefined && idtyp !== 'user') return undefined;
  if (idtyp === undefined && scp === undefined) return null;
  return (scp ?? '').split(' ').filter((scope) => scope !== '');
}

/** The caller described by validated Entra access-token claims, or why there is none. */
export function callerFromClaims(claims: Record<string, unknown>): Caller | { refused: NoCaller } {
  const id = text(claims.oid) ?? text(claims.sub);
  if (id === undefined) return { refused: 'no oid or sub claim' };
  const scopes = delegatedScopes(claims);
  if (scopes === undefined) return { refused: 'neither application nor delegated token' };
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
  return {
    id,
    appId: text(claims.appid) ?? text(claims.azp),
    name: text(claims.name) ?? text(claims.app_displayname),
    roles,
    ...(scopes === null ? {} : { delegatedScopes: scopes }),
  };
}
