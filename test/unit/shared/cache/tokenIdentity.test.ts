import { randomInt } from 'node:crypto';
import { gatewayIdentity, identityKey, secretName, ssoIdentity } from '../../../../shared/cache/tokenIdentity';
import { type ApimService, parseApimResourceId } from '../../../../shared/config/apimServices';

const service = parseApimResourceId(
  'apimService1',
  '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg1/providers/Microsoft.ApiManagement/service/apimService1',
) as ApimService;
const KEY_VAULT_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const ALPHABET = 'aAbBzZ09-._~ !()é€'.split('');

function randomGatewayId(): string {
  const length = [1, 2, 5, 30, 79, 80][randomInt(6)] as number;
  return Array.from({ length }, () => ALPHABET[randomInt(ALPHABET.length)]).join('');
}

describe('Key Vault secret names for token identities', () => {
  it('keeps apart IDs that differ only in characters a name cannot hold', () => {
    const names = ['gw.1', 'gw-1', 'gw_1', 'gw 1', 'gw-1 '].map((id) => secretName(gatewayIdentity(service, id, 'primary')));
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(names.length);
  });

  it('gives IDs that differ only in case one name and one identity, as ARM treats them as one gateway', () => {
    const spellings = ['GW-1', 'Gw-1', 'gw-1'].map((id) => gatewayIdentity(service, id, 'primary'));
    expect(new Set(spellings.map(secretName)).size).toBe(1);
    expect(new Set(spellings.map(identityKey)).size).toBe(1);
  });

  it('keeps apart key types and 80-character IDs sharing a long prefix', () => {
    const long = 'g'.repeat(79);
    const names = [
      secretName(gatewayIdentity(service, `${long}a`, 'primary')),
      secretName(gatewayIdentity(service, `${long}b`, 'primary')),
      secretName(gatewayIdentity(service, `${long}a`, 'secondary')),
    ];
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(3);
  });

  it('keeps the SSO identity of a service apart from its gateways', () => {
    expect(identityKey(ssoIdentity(service))).not.toBe(identityKey(gatewayIdentity(service, 'sso', 'primary')));
  });

  it('is a valid, injective name for thousands of generated gateway IDs (compared as Key Vault and ARM do, without case)', () => {
    const ids = new Set<string>();
    while (ids.size < 5000) ids.add(randomGatewayId().toLowerCase());
    const names = new Map<string, string>();
    for (const id of ids) {
      for (const keyType of ['primary', 'secondary'] as const) {
        const name = secretName(gatewayIdentity(service, id, keyType));
        expect(name).toMatch(KEY_VAULT_NAME);
        const clash = names.get(name.toLowerCase());
        if (clash !== undefined) throw new Error(`${JSON.stringify(id)} ${keyType} shares a secret with ${clash}`);
        names.set(name.toLowerCase(), `${JSON.stringify(id)} ${keyType}`);
      }
    }
    expect(names.size).toBe(10_000);
  });

  it('is stable: the same identity always maps to the same name, readable for an operator', () => {
    const name = secretName(gatewayIdentity(service, 'gw1', 'primary'));
    expect(secretName(gatewayIdentity(service, 'gw1', 'primary'))).toBe(name);
    expect(name).toMatch(/^gw-apimservice1-gw1-p-[0-9a-f]{64}$/);
  });
});
