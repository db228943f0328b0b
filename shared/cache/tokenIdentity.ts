import { createHash } from 'node:crypto';
import type { ApimService } from '../config/apimServices';
import type { KeyType } from '../upstreams/arm/apimClient';

/** Everything that changes a gateway token's value: two requests share a token only when all match. */
export interface GatewayTokenIdentity {
  kind: 'gateway';
  service: ApimService;
  gatewayId: string;
  keyType: KeyType;
}

export interface SsoTokenIdentity {
  kind: 'sso';
  service: ApimService;
}

export type TokenIdentity = GatewayTokenIdentity | SsoTokenIdentity;

export function gatewayIdentity(service: ApimService, gatewayId: string, keyType: KeyType): GatewayTokenIdentity {
  return { kind: 'gateway', service, gatewayId, keyType };
}

export function ssoIdentity(service: ApimService): SsoTokenIdentity {
  return { kind: 'sso', service };
}

/**
 * A canonical text of the identity. ARM names compare without case, resource IDs and gateway IDs
 * alike, so `GW1` and `gw1` are one gateway: one identity, one mint, one secret.
 */
export function identityKey(identity: TokenIdentity): string {
  const parts: string[] = [identity.kind, identity.service.resourceId.toLowerCase()];
  if (identity.kind === 'gateway') parts.push(identity.gatewayId.toLowerCase(), identity.keyType);
  return JSON.stringify(parts);
}

/** Key Vault allows `^[0-9a-zA-Z-]{1,127}$`, compared without case. */
function readable(text: string, max: number): string {
  return (
    text
      .toLowerCase()
      .replace(/[^0-9a-z]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'x'
  );
}

/**
 * The Key Vault secret that holds a gateway identity's tokens. A readable prefix helps an operator;
 * the SHA-256 of the canonical identity, in lower-case hex (Key Vault names ignore case), keeps the
 * mapping injective: IDs that differ in characters a name cannot hold get different names.
 */
export function secretName(identity: GatewayTokenIdentity): string {
  const digest = createHash('sha256').update(identityKey(identity)).digest('hex');
  const service = readable(identity.service.serviceName, 20);
  return `gw-${service}-${readable(identity.gatewayId, 30)}-${identity.keyType === 'primary' ? 'p' : 's'}-${digest}`;
}
