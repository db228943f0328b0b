import type { Logger } from '../logging/logger';
import type { Clock } from '../time/clock';
import { LruCache } from './lruCache';
import { SingleFlight } from './singleFlight';
import { type GatewayTokenIdentity, identityKey, type TokenIdentity } from './tokenIdentity';
import type { CachedToken, TokenStore } from './tokenStore';

export type CacheOutcome = 'hit' | 'miss';

/** The longest a memory entry is served before the store is read again (the bound after a key regeneration). */
export const MEMORY_RECHECK_MS = 5 * 60_000;

export interface CacheResult {
  token: CachedToken;
  /** `miss` only for the request whose flight reached the upstream; requests that joined it say `hit`. */
  cache: CacheOutcome;
}

/** The request a cache lookup serves: its log, and its caller's mint limit. */
export interface CacheCall {
  log: Logger;
  /**
   * Charges the caller's mint limit for a flight this request starts (429 when it is over, before
   * any store read). Returns the refund for a flight that ends without reaching the upstream.
   */
  chargeMint(): () => void;
}

export interface TokenCacheDeps {
  /** The durable tier for gateway tokens; absent when no Key Vault is configured (memory only). */
  store?: TokenStore;
  clock: Clock;
  clockSkewMs: number;
  /** Bound of the memory tier, in tokens; the least recently used go first. */
  maxMemoryEntries: number;
  /** At most one log line per store operation in this interval; every failure is still counted. */
  failureLogIntervalMs?: number;
}

/** Key Vault failures so far, by operation: what readiness and operators look at. */
export interface StoreFailureCounts {
  read: number;
  write: number;
}

interface FlightOutcome {
  token: CachedToken;
  /** Whether the flight reached the upstream (else the store had the token). */
  minted: boolean;
}

/**
 * Two tiers in front of the upstream: this instance's memory, then the shared store (gateway tokens
 * only: SSO tokens stay in memory, since Key Vault keeps every version and cannot delete one, and a
 * version every five minutes is about 100,000 a year per service). Concurrent requests for one
 * identity share one flight (one store read, at most one upstream call, one store write) whenever
 * its token satisfies them all. A store that fails never fails a request: the token is minted
 * upstream and served from memory.
 */
export class TokenCache {
  private readonly memory: LruCache<CachedToken>;
  private readonly flights = new SingleFlight<FlightOutcome>();
  private readonly failures: StoreFailureCounts = { read: 0, write: 0 };
  private readonly lastFailureLog: Partial<Record<keyof StoreFailureCounts, number>> = {};

  constructor(private readonly deps: TokenCacheDeps) {
    this.memory = new LruCache(deps.maxMemoryEntries);
  }

  /**
   * Forgets a gateway identity's token after its key was regenerated: here at once, and in the store
   * by a retired newest version, which other instances read within {@link MEMORY_RECHECK_MS}.
   */
  async retire(identity: GatewayTokenIdentity, log: Logger): Promise<void> {
    this.memory.delete(identityKey(identity));
    if (!this.deps.store) return;
    try {
      await this.deps.store.retire(identity, this.deps.clock.now());
    } catch (error) {
      this.recordFailure('write', error, log);
      throw error;
    }
  }

  storeFailures(): StoreFailureCounts {
    return { ...this.failures };
  }

  /**
   * A token with at least `minValidityMs` plus the skew margin left: from memory, from a flight under
   * way whose token will do, from the store, or minted. Only a request that starts a flight is charged
   * against its caller's mint limit, and refunded when the store had the token.
   */
  async getOrMint(identity: TokenIdentity, minValidityMs: number, mint: () => Promise<CachedToken>, call: CacheCall): Promise<CacheResult> {
    const key = identityKey(identity);
    for (;;) {
      const remembered = this.memory.get(key, this.deps.clock.now().getTime());
      if (remembered && this.isFresh(remembered, minValidityMs)) return { token: remembered, cache: 'hit' };
      const joined = this.flights.join(key);
      if (joined !== undefined) {
        const { token } = await joined;
        if (this.isFresh(token, minValidityMs)) return { token, cache: 'hit' };
        // That flight's token is too short for this request: look again, and start a flight if none is left.
        continue;
      }
      const refund = call.chargeMint();
      const { token, minted } = await this.flights.start(key, () => this.readOrMint(identity, key, minValidityMs, mint, refund, call.log));
      return { token, cache: minted ? 'miss' : 'hit' };
    }
  }

  /**
   * Always mints (an explicit expiry) and hands that token to its caller, but the cache keeps
   * whichever token lives longer, so a short one never displaces a longer-lived cached token.
   */
  async mint(identity: TokenIdentity, flightKey: string, mint: () => Promise<CachedToken>, call: CacheCall): Promise<CacheResult> {
    const key = identityKey(identity);
    const flight = `${key}|${flightKey}`;
    const joined = this.flights.join(flight);
    if (joined !== undefined) return { token: (await joined).token, cache: 'hit' };
    call.chargeMint();
    const { token } = await this.flights.start(flight, async () => {
      const minted = await mint();
      const kept = this.memory.get(key, this.deps.clock.now().getTime()) ?? (await this.readStore(identity, call.log));
      if (!kept || kept.expiresOn.getTime() < minted.expiresOn.getTime()) await this.keep(identity, key, minted, call.log);
      return { token: minted, minted: true };
    });
    return { token, cache: 'miss' };
  }

  private async readOrMint(
    identity: TokenIdentity,
    key: string,
    minValidityMs: number,
    mint: () => Promise<CachedToken>,
    refund: () => void,
    log: Logger,
  ): Promise<FlightOutcome> {
    const stored = await this.readStore(identity, log);
    if (stored && this.isFresh(stored, minValidityMs)) {
      refund();
      this.remember(key, stored);
      return { token: stored, minted: false };
    }
    const token = await mint();
    await this.keep(identity, key, token, log);
    return { token, minted: true };
  }

  private isFresh(token: CachedToken, minValidityMs: number): boolean {
    return token.expiresOn.getTime() - this.deps.clock.now().getTime() >= minValidityMs + this.deps.clockSkewMs;
  }

  /**
   * Keeps the later-expiring token, so a slow flight never replaces a newer one. With a store, an
   * entry lives at most {@link MEMORY_RECHECK_MS} before the store is read again, so a token whose
   * key another instance regenerated is not served from here for longer than that.
   */
  private remember(key: string, token: CachedToken): void {
    const now = this.deps.clock.now().getTime();
    const current = this.memory.get(key, now);
    if (current && current.expiresOn.getTime() > token.expiresOn.getTime()) return;
    const recheckAt = this.deps.store ? now + MEMORY_RECHECK_MS : Number.POSITIVE_INFINITY;
    this.memory.set(key, token, Math.min(token.expiresOn.getTime(), recheckAt));
  }

  private async keep(identity: TokenIdentity, key: string, token: CachedToken, log: Logger): Promise<void> {
    this.remember(key, token);
    if (identity.kind === 'gateway') await this.writeStore(identity, token, log);
  }

  private async readStore(identity: TokenIdentity, log: Logger): Promise<CachedToken | undefined> {
    if (!this.deps.store || identity.kind !== 'gateway') return undefined;
    try {
      return await this.deps.store.read(identity);
    } catch (error) {
      this.recordFailure('read', error, log);
      return undefined;
    }
  }

  private async writeStore(identity: GatewayTokenIdentity, token: CachedToken, log: Logger): Promise<void> {
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
