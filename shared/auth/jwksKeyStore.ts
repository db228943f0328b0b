import { importJWK, type JWK, type KeyLike } from 'jose';
import { z } from 'zod';
import type { Logger } from '../logging/logger';
import type { Clock } from '../time/clock';

const jwksSchema = z.object({
  keys: z.array(z.object({ kty: z.string(), kid: z.string().optional(), use: z.string().optional() }).passthrough()).max(100),
});

export interface JwksKeyStoreOptions {
  fetchJwks: () => Promise<unknown>;
  clock: Clock;
  /** At most one refresh (success or failure) per this interval: an unknown `kid` cannot hammer Entra. */
  minRefreshMs: number;
  /** Past this age the keys are refreshed in the background; the old ones keep serving meanwhile. */
  maxAgeMs?: number;
  maxKeys?: number;
}

/**
 * The tenant's signing keys, fetched from its JWKS and kept. An unknown `kid` triggers a refresh
 * (rate-limited); a JWKS endpoint that fails keeps the cached keys in service, so valid tokens are
 * still accepted while it is down.
 */
export class JwksKeyStore {
  private keys = new Map<string, KeyLike | Uint8Array>();
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private lastSuccess = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(private readonly options: JwksKeyStoreOptions) {}

  /** The key for a token's `kid`, or undefined when the tenant publishes none by that id. */
  async key(kid: string, log: Logger): Promise<KeyLike | Uint8Array | undefined> {
    const now = this.options.clock.now().getTime();
    const known = this.keys.get(kid);
    if (known) {
      if (now - this.lastSuccess > (this.options.maxAgeMs ?? 86_400_000)) void this.refresh(log);
      return known;
    }
    if (this.keys.size > 0 && now - this.lastAttempt < this.options.minRefreshMs) return undefined;
    await this.refresh(log);
    return this.keys.get(kid);
  }

  private refresh(log: Logger): Promise<void> {
    this.refreshing ??= this.load(log).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async load(log: Logger): Promise<void> {
    this.lastAttempt = this.options.clock.now().getTime();
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
    } catch (error) {
      log.warn({ event: 'jwksRefreshFailed', reason: error instanceof Error ? error.name : 'unknown', cachedKeys: this.keys.size });
    }
  }
}
