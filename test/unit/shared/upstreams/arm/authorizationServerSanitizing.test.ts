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

  it('keeps only the names of token body parameters, whose values are often credentials', () => {
    const sanitized = authorizationServerSchema.parse({
      ...upstream,
      properties: {
        ...upstream.properties,
        tokenBodyParameters: [
          { name: 'client_assertion', value: 'eyJhbGciOi.secret' },
          { name: 'resource', value: 'x' },
        ],
      },
    });
    expect(sanitized.properties.tokenBodyParameters).toEqual([{ name: 'client_assertion' }, { name: 'resource' }]);
    expect(JSON.stringify(sanitized)).not.toContain('secret');
  });

  it.each(['clientRegistrationEndpoint', 'authorizationEndpoint', 'tokenEndpoint'])('drops user information from %s', (field) => {
    const withCredentials = (url: string) =>
      authorizationServerSchema.parse({ ...upstream, properties: { ...upstream.properties, [field]: url } });
    expect(withCredentials('https://user:p%40ss@login.contoso.com/oauth2/token?x=1').properties).toMatchObject({
      [field]: 'https://login.contoso.com/oauth2/token?x=1',
    });
    expect(withCredentials('https://user@login.contoso.com:8443/oauth2').properties).toMatchObject({
      [field]: 'https://login.contoso.com:8443/oauth2',
    });
    expect(withCredentials('https://:secret@login.contoso.com').properties).toMatchObject({ [field]: 'https://login.contoso.com/' });
    // Values without user information come back byte for byte, not re-serialized.
    expect(withCredentials('https://login.contoso.com').properties).toMatchObject({ [field]: 'https://login.contoso.com' });
    // Not an http(s) URL (here the scheme would be 'user:'), so it is left out rather than guessed at.
    for (const odd of ['user:pass@login.contoso.com/oauth2', 'login.contoso.com/oauth2', 'ftp://user:pass@files.contoso.com/']) {
      const properties = withCredentials(odd).properties as Record<string, unknown>;
      expect(properties[field]).toBeUndefined();
      expect(JSON.stringify(properties)).not.toContain('pass');
    }
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
    expect(sanitized.properties.tokenBodyParameters).toEqual([{ name: 'a' }]);
  });
});
