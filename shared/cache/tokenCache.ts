import type { Logger } from '../logging/logger';
import type { Clock } from '../time/clock';
import { SingleFlight } from './singleFlight';
import { identityKey, type TokenIdentity } from './tokenIdentity';
import type { CachedToken, TokenStore } from './tokenStore';

export type CacheOutcome = 'hit' | 'miss';

export interface CacheResult {
  token: CachedToken;
  cache: CacheOutcome;
}

export interface TokenCacheDeps {
  /** The durable tier; absent when no Key Vault is configured (memory only). */
  store?: TokenStore;
  clock: Clock;
  clockSkewMs: number;
  /** At most one log line per store operation in this interval; every failure is still counted. */
  failureLogIntervalMs?: number;
}

/** Key Vault failures so far, by operation: what readiness and operators look at. */
export interface StoreFailureCounts {
  read: number;
  write: number;
}

/**
 * Two tiers in front of the upstream: this instance's memory, then the shared store. Identical
 * concurrent requests share one flight (one store read, one upstream call, one store write). A
 * store that fails never fails a request: the token is minted upstream and served from memory.
 */
export class TokenCache {
  private readonly memory = new Map<string, CachedToken>();
  private readonly flights = new SingleFlight<CacheResult>();
  private readonly failures: StoreFailureCounts = { read: 0, write: 0 };
  private readonly lastFailureLog: Partial<Record<keyof StoreFailureCounts, number>> = {};

  constructor(private readonly deps: TokenCacheDeps) {}

  storeFailures(): StoreFailureCounts {
    return { ...this.failures };
  }

  /** A token with at least `minValidityMs` plus the skew margin left: cached if there is one, else minted. */
  async getOrMint(identity: TokenIdentity, minValidityMs: number, mint: () => Promise<CachedToken>, log: Logger): Promise<CacheResult> {
    const key = identityKey(identity);
    const remembered = this.memory.get(key);
    if (remembered && this.isFresh(remembered, minValidityMs)) return { token: remembered, cache: 'hit' };
    return this.flights.run(`${key}|min=${minValidityMs}`, async () => {
      const stored = await this.readStore(identity, log);
      if (stored && this.isFresh(stored, minValidityMs)) {
        this.remember(key, stored);
        return { token: stored, cache: 'hit' };
      }
      return { token: await this.mintAndKeep(identity, mint, log), cache: 'miss' };
    });
  }

  /** Always mints (an explicit expiry); the new token becomes the cached one. */
  async mint(identity: TokenIdentity, flightKey: string, mint: () => Promise<CachedToken>, log: Logger): Promise<CacheResult> {
    return this.flights.run(`${identityKey(identity)}|${flightKey}`, async () => ({
      token: await this.mintAndKeep(identity, mint, log),
      cache: 'miss',
    }));
  }

  private isFresh(token: CachedToken, minValidityMs: number): boolean {
    return token.expiresOn.getTime() - this.deps.clock.now().getTime() >= minValidityMs + this.deps.clockSkewMs;
  }

  /** Keeps the later-expiring token, so a slow flight never replaces a newer one. */
  private remember(key: string, token: CachedToken): void {
    const current = this.memory.get(key);
    if (!current || current.expiresOn.getTime() <= token.expiresOn.getTime()) this.memory.set(key, token);
  }

  private async mintAndKeep(identity: TokenIdentity, mint: () => Promise<CachedToken>, log: Logger): Promise<CachedToken> {
    const token = await mint();
    this.memory.set(identityKey(identity), token);
    await this.writeStore(identity, token, log);
    return token;
  }

  private async readStore(identity: TokenIdentity, log: Logger): Promise<CachedToken | undefined> {
    if (!this.deps.store) return undefined;
    try {
      return await this.deps.store.read(identity);
    } catch (error) {
      this.recordFailure('read', error, log);
      return undefined;
    }
  }

  private async writeStore(identity: TokenIdentity, token: CachedToken, log: Logger): Promise<void> {
    if (!this.deps.store) return;
    try {
      await this.deps.store.write(identity, token);
    } catch (error) {
      this.recordFailure('write', error, log);
    }
  }

  private recordFailure(operation: keyof StoreFailureCounts, error: unknown, log: Logger): void {
    this.failures[operation] += 1;
    const now = this.deps.clock.now().getTime();
    const last = this.lastFailureLog[operation];
    if (last !== undefined && now - last < (this.deps.failureLogIntervalMs ?? 60_000)) return;
    this.lastFailureLog[operation] = now;
    const { statusCode, code, name } = error as { statusCode?: number; code?: string; name?: string };
    log.warn({
      event: 'tokenStoreUnavailable',
      operation,
      reason: statusCode !== undefined ? `HTTP ${statusCode}` : (code ?? name ?? 'unknown'),
      failuresSoFar: this.failures[operation],
    });
  }
}
