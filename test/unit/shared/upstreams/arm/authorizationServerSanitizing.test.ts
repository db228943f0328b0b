import { authorizationServerSchema } from '../../../../../shared/upstreams/arm/armSchemas';
import officialExample from '../../../../fixtures/vectors/apim/2024-05-01_ApiManagementGetAuthorizationServer.json';

const SECRET_FIELDS = ['clientSecret', 'resourceOwnerUsername', 'resourceOwnerPassword'];

describe('authorization server sanitizing (allow-list)', () => {
  const upstream = officialExample.responses['200'].body;

  it('drops every secret field of the official example, which returns a password on GET', () => {
    const sanitized = authorizationServerSchema.parse(upstream);
    for (const field of SECRET_FIELDS) expect(sanitized.properties).not.toHaveProperty(field);
    expect(JSON.stringify(sanitized)).not.toContain('pwd');
  });

  it('keeps every ordinary field as it is', () => {
    const sanitized = authorizationServerSchema.parse(upstream);
    const { resourceOwnerUsername, resourceOwnerPassword, ...ordinary } = upstream.properties;
    expect(resourceOwnerUsername).toBe('un');
    expect(resourceOwnerPassword).toBe('pwd');
    expect(sanitized).toEqual({ id: upstream.id, name: upstream.name, type: upstream.type, properties: ordinary });
  });

  it('drops a client secret and any field it does not know, at every level', () => {
    const sanitized = authorizationServerSchema.parse({
      ...upstream,
      etagSecret: 'x',
      properties: {
        ...upstream.properties,
        clientSecret: '2',
        futureSecretField: 'y',
        tokenBodyParameters: [{ name: 'a', value: 'b', extra: 'z' }],
      },
    });
    expect(sanitized).not.toHaveProperty('etagSecret');
    expect(sanitized.properties).not.toHaveProperty('clientSecret');
    expect(sanitized.properties).not.toHaveProperty('futureSecretField');
    expect(sanitized.properties.tokenBodyParameters).toEqual([{ name: 'a', value: 'b' }]);
  });
});
