import type { KeyVaultSecret, SecretClient } from '@azure/keyvault-secrets';
import { type GatewayTokenIdentity, secretName } from './tokenIdentity';
import type { CachedToken, TokenStore } from './tokenStore';

export type StoredTokenFormat = 'gateway-key' | 'raw';

const GATEWAY_KEY_PREFIX = 'GatewayKey ';

/** The content type says what the value is, so a reader (or a CSI-mounted gateway) knows its form. */
function contentType(format: StoredTokenFormat): string {
  return `text/plain; kind=apim-gateway-token; format=${format}`;
}

function tags(identity: GatewayTokenIdentity, expiresOn: Date): Record<string, string> {
  return {
    kind: identity.kind,
    service: identity.service.serviceName,
    expiry: expiresOn.toISOString(),
    issuer: 'token-broker',
    gateway: identity.gatewayId,
    keyType: identity.keyType,
  };
}

function isNotFound(error: unknown): boolean {
  return (error as { statusCode?: number }).statusCode === 404;
}

/**
 * Gateway tokens as Key Vault secrets: one secret per identity, a new version per token, with `expiresOn`,
 * `contentType` and tags. Every call has its own deadline, so a slow vault costs a bounded wait.
 */
export class KeyVaultTokenStore implements TokenStore {
  constructor(
    private readonly client: SecretClient,
    private readonly options: { timeoutMs: number; format: StoredTokenFormat },
  ) {}

  async read(identity: GatewayTokenIdentity): Promise<CachedToken | undefined> {
    let secret: KeyVaultSecret;
    try {
      secret = await this.client.getSecret(secretName(identity), { abortSignal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
    const { value, properties } = secret;
    if (value === undefined || properties.expiresOn === undefined || properties.enabled === false) return undefined;
    const stripped = properties.contentType?.includes('format=gateway-key') && value.startsWith(GATEWAY_KEY_PREFIX);
    return { value: stripped ? value.slice(GATEWAY_KEY_PREFIX.length) : value, expiresOn: properties.expiresOn };
  }

  /**
   * A new version that expires at once: Key Vault cannot delete a version, and readers take the
   * newest, so every instance finds nothing fresh there and mints with the new key.
   */
  async retire(identity: GatewayTokenIdentity, at: Date): Promise<void> {
    await this.client.setSecret(secretName(identity), 'retired', {
      expiresOn: at,
      contentType: 'text/plain; kind=apim-gateway-token; retired=true',
      tags: { ...tags(identity, at), retired: at.toISOString() },
      abortSignal: AbortSignal.timeout(this.options.timeoutMs),
    });
  }

  async write(identity: GatewayTokenIdentity, token: CachedToken): Promise<void> {
    const stored = this.options.format === 'gateway-key' ? `${GATEWAY_KEY_PREFIX}${token.value}` : token.value;
    await this.client.setSecret(secretName(identity), stored, {
      expiresOn: token.expiresOn,
      contentType: contentType(this.options.format),
      tags: tags(identity, token.expiresOn),
      abortSignal: AbortSignal.timeout(this.options.timeoutMs),
    });
  }
}
