import { importJWK, type JWK, type KeyLike } from 'jose';
import { z } from 'zod';
import { AuthenticationUnavailableError } from '../errors';
import type { Logger } from '../logging/logger';
import type { Clock } from '../time/clock';

const jwksSchema = z.object({
  keys: z.array(z.object({ kty: z.string(), kid: z.string().optional(), use: z.string().optional() }).passthrough()).max(100),
});

export interface JwksKeyStoreOptions {
  fetchJwks: () => Promise<unknown>;
  clock: Clock;
  /**
   * At most one refresh (success or failure) per this interval, whatever asks for it: an unknown
   * `kid`, an empty key set or stale keys. A flood of tokens cannot hammer Entra, up or down.
   */
  minRefreshMs: number;
  /** Past this age the keys are refreshed in the background; the old ones keep serving meanwhile. */
  maxAgeMs?: number;
  maxKeys?: number;
}

/**
 * The tenant's signing keys, fetched from its JWKS and kept. An unknown `kid` triggers a refresh
 * (rate-limited); a JWKS endpoint that fails keeps the cached keys in service, so valid tokens are
 * still accepted while it is down. A token whose key is not cached while the newest refresh failed
 * cannot be judged: that is an {@link AuthenticationUnavailableError} (503), not a refusal.
 */
export class JwksKeyStore {
  private keys = new Map<string, KeyLike | Uint8Array>();
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastSuccess = Number.NEGATIVE_INFINITY;
  private lastRefreshFailed = false;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: JwksKeyStoreOptions) {}

  /** The key for a token's `kid`, or undefined when the tenant's current key set has none by that id. */
  async key(kid: string, log: Logger): Promise<KeyLike | Uint8Array | undefined> {
    const known = this.keys.get(kid);
    if (known) {
      if (this.options.clock.now().getTime() - this.lastSuccess > (this.options.maxAgeMs ?? 86_400_000)) void this.refresh(log);
      return known;
    }
    await this.refresh(log);
    const key = this.keys.get(kid);
    if (key === undefined && this.lastRefreshFailed) {
      throw new AuthenticationUnavailableError({ internal: 'JWKS refresh failed and no cached key matches the token' });
    }
    return key;
  }

  /** Joins the refresh in flight, or starts one when the interval allows; otherwise resolves at once. */
  private refresh(log: Logger): Promise<void> {
    if (this.refreshing !== undefined) return this.refreshing;
    const now = this.options.clock.now().getTime();
    if (now - this.lastAttempt < this.options.minRefreshMs) return Promise.resolve();
    this.lastAttempt = now;
    this.refreshing = this.load(log).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(log: Logger): Promise<void> {
    try {
      const jwks = jwksSchema.parse(await this.options.fetchJwks());
      const keys = new Map<string, KeyLike | Uint8Array>();
      for (const jwk of jwks.keys) {
        if (jwk.kty !== 'RSA' || jwk.kid === undefined || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
        if (keys.size >= (this.options.maxKeys ?? 32)) break;
        keys.set(jwk.kid, await importJWK({ ...(jwk as JWK), alg: 'RS256' }, 'RS256'));
      }
      this.keys = keys;
      this.lastSuccess = this.lastAttempt;
      this.lastRefreshFailed = false;
    } catch (error) {
      this.lastRefreshFailed = true;
      log.warn({ event: 'jwksRefreshFailed', reason: error instanceof Error ? error.name : 'unknown', cachedKeys: this.keys.size });
    }
  }
}
