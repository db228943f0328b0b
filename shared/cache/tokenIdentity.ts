import { createHash } from 'node:crypto';
import type { ApimService } from '../config/apimServices';
import type { KeyType } from '../upstreams/arm/apimClient';

/** Everything that changes a token's value: two requests share a cached token only when all match. */
export type TokenIdentity =
  | { kind: 'gateway'; service: ApimService; gatewayId: string; keyType: KeyType }
  | { kind: 'sso'; service: ApimService };

export function gatewayIdentity(service: ApimService, gatewayId: string, keyType: KeyType): TokenIdentity {
  return { kind: 'gateway', service, gatewayId, keyType };
}

export function ssoIdentity(service: ApimService): TokenIdentity {
  return { kind: 'sso', service };
}

/**
 * A canonical text of the identity. ARM resource IDs compare without case; gateway IDs are kept
 * exactly, so `GW1` and `gw1` are two identities (never one secret).
 */
export function identityKey(identity: TokenIdentity): string {
  const parts: string[] = [identity.kind, identity.service.resourceId.toLowerCase()];
  if (identity.kind === 'gateway') parts.push(identity.gatewayId, identity.keyType);
  return JSON.stringify(parts);
}

/** Key Vault allows `^[0-9a-zA-Z-]{1,127}$`, compared without case. */
function readable(text: string, max: number): string {
  return (
    text
      .replace(/[^0-9a-zA-Z]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, max)
      .replace(/-+$/, '') || 'x'
  );
}

/**
 * The Key Vault secret that holds an identity's tokens. A readable prefix helps an operator; the
 * SHA-256 of the exact identity, in lower-case hex (Key Vault names ignore case), keeps the mapping
 * injective: IDs that differ only in characters a name cannot hold, or in case, get different names.
 */
export function secretName(identity: TokenIdentity): string {
  const digest = createHash('sha256').update(identityKey(identity)).digest('hex');
  const service = readable(identity.service.serviceName, 20);
  if (identity.kind === 'sso') return `sso-${service}-${digest}`;
  return `gw-${service}-${readable(identity.gatewayId, 30)}-${identity.keyType === 'primary' ? 'p' : 's'}-${digest}`;
}
