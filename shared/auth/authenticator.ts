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

/** RFC 7235: the scheme is case-insensitive. */
const BEARER_SCHEME = /^Bearer /i;
const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/i;

/** A check a presented token failed: `audit` for the audit log, `caller` the fixed sentence of the 401. */
interface FailedCheck {
  audit: string;
  caller: string;
}

/** Claims whose check jose names: fixed names from jose's own code, never read from the token. */
const NAMED_CLAIMS = new Set(['exp', 'iat', 'nbf']);

/**
 * The fixed sentences a 401 may carry. Each names a check, and the only configured value is the
 * accepted audiences, which the caller must put in its token request anyway. Nothing comes from the
 * presented token: no claim value, no `kid`, no header, so a 401 echoes nothing an attacker sent.
 */
function callerSentences(audiences: readonly string[]) {
  return {
    malformed: 'The bearer token is no well-formed JWT.',
    algorithm: 'The token must be signed with RS256.',
    signingKey: "The token's signing key is not one the tenant publishes.",
    signature: "The token's signature does not verify.",
    expired: 'The token has expired.',
    notYetValid: 'The token is not yet valid.',
    issuedInFuture: 'The token was issued in the future.',
    audience: `The token's audience is not accepted; accepted: ${audiences.join(', ')}.`,
    issuer: "The token's issuer is not accepted: it must be the broker's tenant (its v1 or v2 issuer).",
    claim: (claim: string) => `The token's '${claim}' claim is missing or invalid.`,
    noCaller: 'The token names no caller (oid or sub).',
    tokenType: 'The token is neither an application nor a delegated access token.',
  };
}
type CallerSentences = ReturnType<typeof callerSentences>;

/** Why jose refused a token, for the audit log and for the caller. */
function failedCheck(error: unknown, say: CallerSentences): FailedCheck {
  if (error instanceof joseErrors.JWTExpired) return { audit: 'expired', caller: say.expired };
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    const audit = `claim ${error.claim} invalid`;
    if (error.claim === 'iss') return { audit, caller: say.issuer };
    if (error.claim === 'aud') return { audit, caller: say.audience };
    if (error.claim === 'nbf' && error.reason === 'check_failed') return { audit, caller: say.notYetValid };
    return { audit, caller: NAMED_CLAIMS.has(error.claim) ? say.claim(error.claim) : say.malformed };
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed || error instanceof joseErrors.JOSENotSupported) {
    return { audit: 'algorithm not allowed', caller: say.algorithm };
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return { audit: 'bad signature', caller: say.signature };
  if (error instanceof joseErrors.JWKSNoMatchingKey) return { audit: 'unknown signing key', caller: say.signingKey };
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid)
    return { audit: 'malformed', caller: say.malformed };
  return { audit: error instanceof Error ? error.name : 'unknown', caller: say.malformed };
}

const refused = (check: FailedCheck) => new UnauthorizedError(check.caller, { internal: check.audit });

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
  private readonly say: CallerSentences;

  constructor(
    private readonly settings: Pick<AuthSettings, 'issuers' | 'audiences'>,
    private readonly keys: JwksKeyStore,
    options: JwtAuthenticatorOptions,
  ) {
    this.verified = new LruCache(options.maxVerifiedTokens);
    this.clockSkewMs = options.clockSkewMs;
    this.clock = options.clock;
    this.say = callerSentences(settings.audiences);
  }

  async authenticate(request: HttpRequest, log: Logger): Promise<Caller> {
    const header = request.headers.get('authorization');
    // Another scheme (Basic, say) presents no bearer token, so it gets RFC 6750's bare challenge too.
    if (header === null || !BEARER_SCHEME.test(header)) {
      throw new UnauthorizedError(undefined, { internal: header === null ? 'no bearer token' : 'not the Bearer scheme' });
    }
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw refused({ audit: 'malformed', caller: this.say.malformed });
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
      throw refused(failedCheck(error, this.say));
    }
    // jose checks `iat` only against a maximum age; a token from the future says its issuer's clock
    // (or its forger) is wrong, beyond what the skew allows.
    if (typeof claims.iat === 'number' && claims.iat * 1000 > this.clock.now().getTime() + this.clockSkewMs) {
      throw refused({ audit: 'issued in the future', caller: this.say.issuedInFuture });
    }
    const caller = callerFromClaims(claims);
    if ('refused' in caller) {
      throw refused({ audit: caller.refused, caller: caller.refused === 'no oid or sub claim' ? this.say.noCaller : this.say.tokenType });
    }
    return { caller, claims };
  }
}

const principalSchemaClaims = (value: unknown): { typ: string; val: string }[] =>
  Array.isArray(value)
    ? value.filter((claim): claim is { typ: string; val: string } => typeof claim?.typ === 'string' && typeof claim?.val === 'string')
    : [];

const CLAIM_ALIASES: Record<string, string> = {
  'http://schemas.microsoft.com/identity/claims/objectidentifier': 'oid',
  'http://schemas.microsoft.com/identity/claims/scope': 'scp',
  'http://schemas.microsoft.com/identity/claims/tenantid': 'tid',
};

/** Easy Auth has validated the token already; what is left to fail is the principal it passes. */
const EASY_AUTH_UNREADABLE = "App Service Authentication's principal names no caller the broker accepts.";

/**
 * App Service Authentication ("Easy Auth") has validated the token and passes the principal in
 * `x-ms-client-principal`. Only used when configured: App Service strips a caller's own copy of
 * that header only when Easy Auth is on, so otherwise it would be a forgery.
 */
export class EasyAuthAuthenticator implements Authenticator {
  async authenticate(request: HttpRequest): Promise<Caller> {
    const encoded = request.headers.get('x-ms-client-principal');
    if (encoded === null) throw new UnauthorizedError(undefined, { internal: 'no Easy Auth principal' });
    let principal: { claims?: unknown; role_typ?: unknown };
    try {
      principal = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
    } catch {
      throw new UnauthorizedError(EASY_AUTH_UNREADABLE, { internal: 'unreadable Easy Auth principal' });
    }
    const roleType = typeof principal.role_typ === 'string' ? principal.role_typ : 'roles';
    const claims: Record<string, unknown> = { roles: [] as string[] };
    for (const { typ, val } of principalSchemaClaims(principal.claims)) {
      if (typ === roleType || typ === 'roles') (claims.roles as string[]).push(val);
      else claims[CLAIM_ALIASES[typ] ?? typ] ??= val;
    }
    const caller = callerFromClaims(claims);
    if ('refused' in caller) throw new UnauthorizedError(EASY_AUTH_UNREADABLE, { internal: `Easy Auth principal: ${caller.refused}` });
    return caller;
  }
}
