/** Who is calling, as the broker audits and authorizes them. */
export interface Caller {
  /** The principal's object ID (`oid`), else `sub`: what the mint limit counts per. */
  id: string;
  /** The client application (`appid` in v1 tokens, `azp` in v2). */
  appId?: string;
  name?: string;
  roles: readonly string[];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= 256 ? value : undefined;
}

/** The caller described by validated Entra access-token claims, or undefined without an identity. */
export function callerFromClaims(claims: Record<string, unknown>): Caller | undefined {
  const id = text(claims.oid) ?? text(claims.sub);
  if (id === undefined) return undefined;
  const roles = Array.isArray(claims.roles) ? claims.roles.filter((role): role is string => typeof role === 'string') : [];
  return { id, appId: text(claims.appid) ?? text(claims.azp), name: text(claims.name) ?? text(claims.app_displayname), roles };
}
