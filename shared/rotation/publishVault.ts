import type { SecretClient } from '@azure/keyvault-secrets';
import type { RotationTarget } from '../config/rotationSettings';
import type { KeyType } from '../upstreams/arm/apimClient';

const GATEWAY_KEY_PREFIX = 'GatewayKey ';

/** The newest version of a target's published secret, as consumers mount it. */
export interface PublishedToken {
  /** The token itself, without the `GatewayKey ` prefix of the default format. */
  value: string;
  expiresOn: Date;
  version: string;
  keyType?: KeyType;
  rotatedAt?: string;
  rotationId?: string;
}

export interface Publication {
  value: string;
  expiresOn: Date;
  keyType: KeyType;
  rotatedAt: string;
  rotationId: string;
}

function statusOf(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

function keyTypeOf(tag: string | undefined): KeyType | undefined {
  return tag === 'primary' || tag === 'secondary' ? tag : undefined;
}

/**
 * The publish vault: one secret per rotation target, separate from the request cache, whose newest
 * version is what a gateway mounts. Publishing adds a version; none is ever deleted.
 */
export class PublishVault {
  constructor(
    private readonly client: SecretClient,
    private readonly timeoutMs: number,
  ) {}

  /** Undefined when nothing was published yet; throws when the vault cannot answer. */
  async newest(target: RotationTarget): Promise<PublishedToken | undefined> {
    let secret: Awaited<ReturnType<SecretClient['getSecret']>>;
    try {
      secret = await this.client.getSecret(target.secretName, { abortSignal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
    const { value, properties } = secret;
    if (value === undefined || properties.expiresOn === undefined || properties.version === undefined) return undefined;
    const tags = properties.tags ?? {};
    return {
      value: value.startsWith(GATEWAY_KEY_PREFIX) ? value.slice(GATEWAY_KEY_PREFIX.length) : value,
      expiresOn: properties.expiresOn,
      version: properties.version,
      ...(keyTypeOf(tags.keyType) === undefined ? {} : { keyType: keyTypeOf(tags.keyType) }),
      ...(tags.rotatedAt === undefined ? {} : { rotatedAt: tags.rotatedAt }),
      ...(tags.rotationId === undefined ? {} : { rotationId: tags.rotationId }),
    };
  }

  async publish(target: RotationTarget, publication: Publication): Promise<void> {
    const stored = target.format === 'gateway-key' ? `${GATEWAY_KEY_PREFIX}${publication.value}` : publication.value;
    await this.client.setSecret(target.secretName, stored, {
      expiresOn: publication.expiresOn,
      contentType: `text/plain; kind=apim-gateway-token; format=${target.format}`,
      tags: {
        gatewayId: target.gatewayId,
        keyType: publication.keyType,
        rotatedAt: publication.rotatedAt,
        rotationId: publication.rotationId,
      },
      abortSignal: AbortSignal.timeout(this.timeoutMs),
    });
  }
}
