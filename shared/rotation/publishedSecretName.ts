import { createHash } from 'node:crypto';

/** A component kept as it is: lower-case letters and digits, single dashes between them. */
const PLAIN_COMPONENT = /^[0-9a-z]+(?:-[0-9a-z]+)*$/;
const MAX_ALIAS = 40;
const MAX_GATEWAY = 60;

function sanitize(text: string, max: number): string {
  const cleaned = text
    .replace(/[^0-9a-z]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, max)
    .replace(/-+$/, '');
  return cleaned || 'x';
}

/**
 * The Key Vault secret a rotation target publishes its gateway token under, when the target names
 * none: `gw-{alias}--{gateway}`, lower-cased (aliases and gateway IDs ignore case, as do Key Vault
 * names). A component that is not already letters, digits and single dashes, or is too long, is
 * sanitized and the name gains `--{hash}` of both original values; a plain component never holds
 * `--`, so a name can only be read one way and the mapping stays injective.
 */
export function publishedSecretName(alias: string, gatewayId: string): string {
  const service = alias.toLowerCase();
  const gateway = gatewayId.toLowerCase();
  const plain =
    PLAIN_COMPONENT.test(service) && service.length <= MAX_ALIAS && PLAIN_COMPONENT.test(gateway) && gateway.length <= MAX_GATEWAY;
  if (plain) return `gw-${service}--${gateway}`;
  const hash = createHash('sha256').update(`${service}\n${gateway}`).digest('hex').slice(0, 12);
  return `gw-${sanitize(service, MAX_ALIAS)}--${sanitize(gateway, MAX_GATEWAY)}--${hash}`;
}
