import { SingleFlight } from '../cache/singleFlight';
import type { CacheOutcome, TokenCache } from '../cache/tokenCache';
import { gatewayIdentity, ssoIdentity } from '../cache/tokenIdentity';
import type { ApimService } from '../config/apimServices';
import { SSO_TOKEN_LIFETIME_MS } from '../config/configSchema';
import { UnknownServiceError } from '../errors';
import type { Logger } from '../logging/logger';
import { resolveGatewayExpiry, type TokenPolicySettings } from '../policy/tokenPolicy';
import type { Clock } from '../time/clock';
import { formatUtcSeconds, toWholeSeconds } from '../time/isoDateTime';
import type { ApimClient, KeyType } from '../upstreams/arm/apimClient';
import type { AuthorizationServer } from '../upstreams/arm/armSchemas';

export interface CallContext {
  requestId: string;
  log: Logger;
  /** Called just before a mint reaches the upstream: the caller's mint limit (a no-op for the timer). */
  admitMint(): void;
}

export interface SsoToken {
  redirectUri: string;
  expiresOn: Date;
  cache: CacheOutcome;
}

export interface GatewayTokenRequest {
  alias: string;
  gatewayId: string;
  keyType: KeyType;
  expiry?: string;
  minValidityMs?: number;
}

export interface GatewayToken {
  gatewayId: string;
  keyType: KeyType;
  value: string;
  expiresOn: Date;
  cache: CacheOutcome;
}

export interface AuthorizationServerAnswer {
  contract: AuthorizationServer;
  etag?: string;
}

export interface ApimPolicy extends TokenPolicySettings {
  /** Validity a cached gateway token must still have when the caller names none. */
  gatewayMinValidityMs: number;
  authorizationServerTtlMs: number;
}

export interface ApimTokenServiceDeps {
  client: ApimClient;
  cache: TokenCache;
  /** Keyed by lower-case alias: aliases match regardless of case, as ARM names do. */
  services: ReadonlyMap<string, ApimService>;
  policy: ApimPolicy;
  clock: Clock;
}

/**
 * The broker's API Management operations: input policy first, then the token cache, and the
 * upstream only when the cache has nothing fresh enough.
 */
export class ApimTokenService {
  private readonly authorizationServers = new Map<string, AuthorizationServerAnswer & { fetchedAt: number }>();
  private readonly authorizationServerFlights = new SingleFlight<AuthorizationServerAnswer>();

  constructor(private readonly deps: ApimTokenServiceDeps) {}

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
      call.admitMint();
      const sentAt = this.deps.clock.now();
      const { redirectUri } = await this.deps.client.getSsoToken(service, call.requestId);
      return { value: redirectUri, expiresOn: toWholeSeconds(new Date(sentAt.getTime() + SSO_TOKEN_LIFETIME_MS)) };
    };
    const { token, cache } = await this.deps.cache.getOrMint(ssoIdentity(service), this.deps.policy.ssoMinValidityMs, mint, call.log);
    return { redirectUri: token.value, expiresOn: token.expiresOn, cache };
  }

  /**
   * Without `expiry`, a cached token with `minValidity` (default: the configured one) plus the skew
   * left is served; otherwise one is minted for max(default lifetime, minValidity + skew). An
   * explicit `expiry` always mints, and that token becomes the cached one.
   */
  async gatewayToken(request: GatewayTokenRequest, call: CallContext): Promise<GatewayToken> {
    const service = this.service(request.alias);
    const minValidityMs = request.minValidityMs ?? this.deps.policy.gatewayMinValidityMs;
    const expiresOn = resolveGatewayExpiry({ ...request, minValidityMs }, this.deps.clock.now(), this.deps.policy);
    const identity = gatewayIdentity(service, request.gatewayId, request.keyType);
    const mint = async () => {
      call.admitMint();
      const { value } = await this.deps.client.generateGatewayToken(
        service,
        request.gatewayId,
        { keyType: request.keyType, expiry: formatUtcSeconds(expiresOn) },
        call.requestId,
      );
      warnOnEmbeddedDateMismatch(value, expiresOn, request.gatewayId, call.log);
      return { value, expiresOn };
    };
    const { token, cache } =
      request.expiry === undefined
        ? await this.deps.cache.getOrMint(identity, minValidityMs, mint, call.log)
        : await this.deps.cache.mint(identity, `expiry=${expiresOn.toISOString()}`, mint, call.log);
    return { gatewayId: request.gatewayId, keyType: request.keyType, value: token.value, expiresOn: token.expiresOn, cache };
  }

  /** Contracts are kept in memory for a short while with their ETag; they hold no secrets. */
  async authorizationServer(alias: string, authsid: string, call: Pick<CallContext, 'requestId'>): Promise<AuthorizationServerAnswer> {
    const service = this.service(alias);
    const key = JSON.stringify([service.resourceId.toLowerCase(), authsid.toLowerCase()]);
    const remembered = this.authorizationServers.get(key);
    const now = this.deps.clock.now().getTime();
    if (remembered && now - remembered.fetchedAt < this.deps.policy.authorizationServerTtlMs) {
      return { contract: remembered.contract, etag: remembered.etag };
    }
    return this.authorizationServerFlights.run(key, async () => {
      const answer = await this.deps.client.getAuthorizationServer(service, authsid, call.requestId);
      this.authorizationServers.set(key, { ...answer, fetchedAt: this.deps.clock.now().getTime() });
      return answer;
    });
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
