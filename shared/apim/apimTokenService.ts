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
}

export interface SsoToken {
  redirectUri: string;
  expiresOn: Date;
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
}

export interface ApimTokenServiceDeps {
  client: ApimClient;
  /** Keyed by lower-case alias: aliases match regardless of case, as ARM names do. */
  services: ReadonlyMap<string, ApimService>;
  policy: TokenPolicySettings;
  clock: Clock;
}

/** The broker's API Management operations: policy first, then one upstream call each. */
export class ApimTokenService {
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
    const sentAt = this.deps.clock.now();
    const { redirectUri } = await this.deps.client.getSsoToken(service, call.requestId);
    return { redirectUri, expiresOn: toWholeSeconds(new Date(sentAt.getTime() + SSO_TOKEN_LIFETIME_MS)) };
  }

  async gatewayToken(request: GatewayTokenRequest, call: CallContext): Promise<GatewayToken> {
    const service = this.service(request.alias);
    const expiresOn = resolveGatewayExpiry(request, this.deps.clock.now(), this.deps.policy);
    const { value } = await this.deps.client.generateGatewayToken(
      service,
      request.gatewayId,
      { keyType: request.keyType, expiry: formatUtcSeconds(expiresOn) },
      call.requestId,
    );
    warnOnEmbeddedDateMismatch(value, expiresOn, request.gatewayId, call.log);
    return { gatewayId: request.gatewayId, keyType: request.keyType, value, expiresOn };
  }

  async authorizationServer(alias: string, authsid: string, call: CallContext): Promise<{ contract: AuthorizationServer; etag?: string }> {
    return this.deps.client.getAuthorizationServer(this.service(alias), authsid, call.requestId);
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
