import type { HttpRequest } from '@azure/functions';
import { errors as joseErrors, jwtVerify } from 'jose';
import { LruCache } from '../cache/lruCache';
import type { AuthSettings } from '../config/configSchema';
import { BrokerError, UnauthorizedError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Clock } from '../time/clock';
import { type Caller, callerFromClaims } from './caller';
import type { JwksKeyStore } from './jwksKeyStore';

export interface Authenticator {
  authenticate(request: HttpRequest, log: Logger): Promise<Caller>;
}

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/;

/** Why a token was refused, in words for the audit log (never for the caller). */
function refusalReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `claim ${error.claim} invalid`;
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) return 'algorithm not allowed';
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'unknown signing key';
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return 'malformed';
  return error instanceof Error ? error.name : 'unknown';
}

interface VerifiedToken {
  caller: Caller;
  /** Accepted from here (`nbf` less the skew); the memory drops it at `exp` plus the skew, or sooner. */
  validFrom: number;
}

/** A verified token is trusted again without its signature check for at most this long. */
const REVERIFY_AFTER_MS = 5 * 60_000;

export interface JwtAuthenticatorOptions {
  clockSkewMs: number;
  clock: Clock;
  /** Bound of the memory of verified tokens; the least recently used go first. */
  maxVerifiedTokens: number;
}

/**
 * Entra ID bearer tokens: RS256 only, signed by a key of the tenant's JWKS, issued by the tenant
 * (v1 or v2 issuer), for one of the broker's audiences, within `nbf`/`exp` give or take the skew.
 * A caller presents the same token for many requests, so a verified token is remembered (bounded,
 * for at most five minutes and never past its `exp`): the RSA check costs more than a cache hit.
 */
export class JwtAuthenticator implements Authenticator {
  private readonly verified: LruCache<VerifiedToken>;
  private readonly clockSkewMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly settings: Pick<AuthSettings, 'issuers' | 'audiences'>,
    private readonly keys: JwksKeyStore,
    options: JwtAuthenticatorOptions,
  ) {
    this.verified = new LruCache(options.maxVerifiedTokens);
    this.clockSkewMs = options.clockSkewMs;
    this.clock = options.clock;
  }

  async authenticate(request: HttpRequest, log: Logger): Promise<Caller> {
    const header = request.headers.get('authorization');
    if (header === null) throw new UnauthorizedError({ internal: 'no bearer token' });
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw new UnauthorizedError({ tokenPresented: true, internal: 'malformed' });
    const now = this.clock.now().getTime();
    const remembered = this.verified.get(token, now);
    if (remembered && now >= remembered.validFrom) return remembered.caller;
    const verified = await this.verify(token, log);
    this.remember(token, verified, now);
    return verified.caller;
  }

  private remember(token: string, verified: { caller: Caller; claims: Record<string, unknown> }, now: number): void {
    const { exp, nbf } = verified.claims;
    if (typeof exp !== 'number') return;
    const validFrom = typeof nbf === 'number' ? nbf * 1000 - this.clockSkewMs : Number.NEGATIVE_INFINITY;
    this.verified.set(token, { caller: verified.caller, validFrom }, Math.min(exp * 1000 + this.clockSkewMs, now + REVERIFY_AFTER_MS));
  }

  private async verify(token: string, log: Logger): Promise<{ caller: Caller; claims: Record<string, unknown> }> {
    let claims: Record<string, unknown>;
    try {
      const verified = await jwtVerify(
        token,
        async (protectedHeader) => {
          const key = protectedHeader.kid === undefined ? undefined : await this.keys.key(protectedHeader.kid, log);
          if (key === undefined) throw new joseErrors.JWKSNoMatchingKey();
          return key;
        },
        {
          algorithms: ['RS256'],
          issuer: this.settings.issuers,
          audience: this.settings.audiences,
          clockTolerance: Math.round(this.clockSkewMs / 1000),
          requiredClaims: ['exp', 'iat'],
          currentDate: this.clock.now(),
        },
      );
      claims = verified.payload;
    } catch (error) {
      // The key store's 503: the token may be valid, the broker cannot tell.
      if (error instanceof BrokerError) throw error;
      throw new UnauthorizedError({ tokenPresented: true, internal: refusalReason(error) });
    }
    // jose checks `iat` only against a maximum age; a token from the future says its issuer's clock
    // (or its forger) is wrong, beyond what the skew allows.
    if (typeof claims.iat === 'number' && claims.iat * 1000 > this.clock.now().getTime() + this.clockSkewMs) {
      throw new UnauthorizedError({ tokenPresented: true, internal: 'issued in the future' });
    }
    const caller = callerFromClaims(claims);
    if (!caller) throw new UnauthorizedError({ tokenPresented: true, internal: 'no oid or sub claim' });
    return { caller, claims };
  }
}

const principalSchemaClaims = (value: unknown): { typ: string; val: string }[] =>
  Array.isArray(value)
    ? value.filter((claim): claim is { typ: string; val: string } => typeof claim?.typ === 'string' && typeof claim?.val === 'string')
    : [];

const CLAIM_ALIASES: Record<string, string> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
};

/**
 * App Service Authentication ("Easy Auth") has validated the token and passes the principal in
 * `x-ms-client-principal`. Only used when configured: App Service strips a caller's own copy of
 * that header only when Easy Auth is on, so otherwise it would be a forgery.
 */
export class EasyAuthAuthenticator implements Authenticator {
  async authenticate(request: HttpRequest): Promise<Caller> {
    const encoded = request.headers.get('x-ms-client-principal');
    if (encoded === null) throw new UnauthorizedError({ internal: 'no Easy Auth principal' });
    let principal: { claims?: unknown; role_typ?: unknown };
    try {
      principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    } catch {
      throw new UnauthorizedError({ tokenPresented: true, internal: 'unreadable Easy Auth principal' });
    }
    const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : 'roles';
    const claims: Record<string, unknown> = { roles: [] as string[] };
    for (const { typ, val } of principalSchemaClaims(principal.claims)) {
      if (typ === roleType || typ === 'roles') (claims.roles as string[]).push(val);
      else claims[CLAIM_ALIASES[typ] ?? typ] ??= val;
    }
    const caller = callerFromClaims(claims);
    if (!caller) throw new UnauthorizedError({ tokenPresented: true, internal: 'Easy Auth principal without oid' });
    return caller;
  }
}
