import { LruCache } from '../cache/lruCache';
import { SingleFlight } from '../cache/singleFlight';
import type { CacheCall, CacheOutcome, TokenCache } from '../cache/tokenCache';
import { gatewayIdentity, ssoIdentity } from '../cache/tokenIdentity';
import type { ApimService } from '../config/apimServices';
import { SSO_TOKEN_LIFETIME_MS } from '../config/configSchema';
import { NotFoundError, UnknownServiceError } from '../errors';
import type { Logger } from '../logging/logger';
import { checkMinValidity, resolveGatewayExpiry, type TokenPolicySettings } from '../policy/tokenPolicy';
import type { Clock } from '../time/clock';
import { formatUtcSeconds, toWholeSeconds } from '../time/isoDateTime';
import type { ApimClient, KeyType } from '../upstreams/arm/apimClient';
import type { AuthorizationServer } from '../upstreams/arm/armSchemas';

/** What a broker operation needs of the request it serves. */
export interface CallContext extends CacheCall {
  requestId: string;
}

export interface SsoToken {
  redirectUri: string;
  expiresOn: Date;
  cache: CacheOutcome;
}

export interface GatewayTokenRequest {
  alias: string;
  gatewayId: string;
  /** Absent when the caller named none: primary, or a rotation target's published token whatever its key. */
  keyType?: KeyType;
  expiry?: string;
  minValidityMs?: number;
}

export interface GatewayToken {
  /** As the caller spelled it: ARM names ignore case, so the token may have been minted for another spelling. */
  gatewayId: string;
  keyType: KeyType;
  value: string;
  expiresOn: Date;
  /** `published`: a rotation target's published token. */
  cache: CacheOutcome | 'published';
}

/** A rotation target's published token, when it has at least `minValidityMs` plus the skew left. */
export interface PublishedTokens {
  servable(
    alias: string,
    gatewayId: string,
    minValidityMs: number,
  ): Promise<{ value: string; expiresOn: Date; keyType: KeyType } | undefined>;
}

export interface AuthorizationServerAnswer {
  contract: AuthorizationServer;
  etag?: string;
}

export interface ApimPolicy extends TokenPolicySettings {
  /** Validity a cached gateway token must still have when the caller names none. */
  gatewayMinValidityMs: number;
  authorizationServerTtlMs: number;
  /** How long an upstream 404 for a gateway or authorization server is remembered. */
  notFoundTtlMs: number;
}

/** Bounds of the service's own memories, in entries. */
export interface ApimMemoryBounds {
  authorizationServers: number;
  notFound: number;
}

export interface ApimTokenServiceDeps {
  client: ApimClient;
  cache: TokenCache;
  /** Keyed by lower-case alias: aliases match regardless of case, as ARM names do. */
  services: ReadonlyMap<string, ApimService>;
  policy: ApimPolicy;
  memory: ApimMemoryBounds;
  clock: Clock;
  /** The rotation's published tokens: one token per rotation target, the one hygiene and revoke keep alive. */
  published?: PublishedTokens;
}

/**
 * The broker's API Management operations: input policy first, then what this instance remembers
 * (tokens, contracts, recent 404s), and the upstream only when nothing fresh enough is at hand.
 */
export class ApimTokenService {
  private readonly authorizationServers: LruCache<AuthorizationServerAnswer>;
  private readonly authorizationServerFlights = new SingleFlight<AuthorizationServerAnswer>();
  private readonly notFound: LruCache<NotFoundError>;

  constructor(private readonly deps: ApimTokenServiceDeps) {
    this.authorizationServers = new LruCache(deps.memory.authorizationServers);
    this.notFound = new LruCache(deps.memory.notFound);
  }

  service(alias: string): ApimService {
    const service = this.deps.services.get(alias.toLowerCase());
    if (!service) throw new UnknownServiceError(alias);
    return service;
  }

  /**
   * APIM's SSO token lives 5 minutes from issue. Issue happens after the request leaves, so the
   * moment of sending is a bound that never overstates the token's life.
   */
  async ssoToken(alias: string, call: CallContext): Promise<SsoToken> {
    const service = this.service(alias);
    const mint = async () => {
      const sentAt = this.deps.clock.now();
      const { redirectUri } = await this.deps.client.getSsoToken(service, call.requestId);
      return { value: redirectUri, expiresOn: toWholeSeconds(new Date(sentAt.getTime() + SSO_TOKEN_LIFETIME_MS)) };
    };
    const { token, cache } = await this.deps.cache.getOrMint(ssoIdentity(service), this.deps.policy.ssoMinValidityMs, mint, call);
    return { redirectUri: token.value, expiresOn: token.expiresOn, cache };
  }

  /**
   * Without `expiry`, a cached token with `minValidity` (default: the configured one) plus the skew
   * left is served; otherwise one is minted (see resolveGatewayExpiry). An explicit `expiry` always
   * mints; the cache keeps whichever token lives longer.
   */
  async gatewayToken(request: GatewayTokenRequest, call: CallContext): Promise<GatewayToken> {
    const service = this.service(request.alias);
    const { policy } = this.deps;
    const minValidityMs = request.minValidityMs ?? policy.gatewayMinValidityMs;
    checkMinValidity(minValidityMs, policy);
    const explicitExpiry = request.expiry === undefined ? undefined : resolveGatewayExpiry(request, this.deps.clock.now(), policy);
    const notFoundKey = `gateway|${service.resourceId.toLowerCase()}|${request.gatewayId.toLowerCase()}`;
    this.throwIfRecentlyNotFound(notFoundKey);
    if (explicitExpiry === undefined && request.keyType === undefined) {
      const published = await this.servablePublished(request.alias, request.gatewayId, minValidityMs, call);
      if (published) return { gatewayId: request.gatewayId, ...published, cache: 'published' };
    }
    const keyType = request.keyType ?? 'primary';
    const identity = gatewayIdentity(service, request.gatewayId, keyType);
    const mint = this.rememberingNotFound(notFoundKey, async () => {
      const expiresOn = explicitExpiry ?? resolveGatewayExpiry({ minValidityMs }, this.deps.clock.now(), policy);
      const { value } = await this.deps.client.generateGatewayToken(
        service,
        request.gatewayId,
        { keyType, expiry: formatUtcSeconds(expiresOn) },
        call.requestId,
      );
      warnOnEmbeddedDateMismatch(value, expiresOn, request.gatewayId, call.log);
      return { value, expiresOn };
    });
    const { token, cache } =
      explicitExpiry === undefined
        ? await this.deps.cache.getOrMint(identity, minValidityMs, mint, call)
        : await this.deps.cache.mint(identity, `expiry=${explicitExpiry.toISOString()}`, mint, call);
    return { gatewayId: request.gatewayId, keyType, value: token.value, expiresOn: token.expiresOn, cache };
  }

  /** The published token, if the gateway is a rotation target and it will do; a vault that fails only means the cache serves. */
  private async servablePublished(alias: string, gatewayId: string, minValidityMs: number, call: CallContext) {
    if (!this.deps.published) return undefined;
    try {
      return await this.deps.published.servable(alias, gatewayId, minValidityMs);
    } catch (error) {
      call.log.warn({ event: 'publishedTokenUnavailable', reason: (error as { code?: string }).code ?? 'unknown' });
      return undefined;
    }
  }

  /**
   * Contracts are kept in memory for a short while with their ETag; they hold no secrets. A read
   * that misses memory reaches ARM, so the request that starts it is charged like a mint.
   */
  async authorizationServer(alias: string, authsid: string, call: CallContext): Promise<AuthorizationServerAnswer> {
    const service = this.service(alias);
    const key = `${service.resourceId.toLowerCase()}|${authsid.toLowerCase()}`;
    const notFoundKey = `authorizationServer|${key}`;
    this.throwIfRecentlyNotFound(notFoundKey);
    const remembered = this.authorizationServers.get(key, this.deps.clock.now().getTime());
    if (remembered) return remembered;
    const joined = this.authorizationServerFlights.join(key);
    if (joined !== undefined) return joined;
    call.chargeMint();
    const fetch = this.rememberingNotFound(notFoundKey, async () => {
      const answer = await this.deps.client.getAuthorizationServer(service, authsid, call.requestId);
      this.authorizationServers.set(key, answer, this.deps.clock.now().getTime() + this.deps.policy.authorizationServerTtlMs);
      return answer;
    });
    return this.authorizationServerFlights.start(key, fetch);
  }

  private throwIfRecentlyNotFound(key: string): void {
    const remembered = this.notFound.get(key, this.deps.clock.now().getTime());
    if (remembered) throw remembered;
  }

  /** Repeated requests for what ARM just said does not exist are answered from memory for a while. */
  private rememberingNotFound<T>(key: string, work: () => Promise<T>): () => Promise<T> {
    return async () => {
      try {
        return await work();
      } catch (error) {
        if (error instanceof NotFoundError) this.notFound.set(key, error, this.deps.clock.now().getTime() + this.deps.policy.notFoundTtlMs);
        throw error;
      }
    };
  }
}

/**
 * A gateway token embeds its expiry to the minute (`{gatewayId}&{yyyyMMddHHmm}&{signature}`). The
 * broker reports what it asked for; a disagreement is logged for the operator, never trusted.
 */
function warnOnEmbeddedDateMismatch(value: string, expiresOn: Date, gatewayId: string, log: Logger): void {
  const embedded = value.split('&')[1];
  const expected = expiresOn.toISOString().slice(0, 16).replace(/[-T:]/g, '');
  if (embedded !== expected) {
    log.warn({
      event: 'gatewayTokenDateMismatch',
      gatewayId,
      requestedMinute: expected,
      embeddedMinute: embedded && /^\d{12}$/.test(embedded) ? embedded : 'unreadable',
    });
  }
}
