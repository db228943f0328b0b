import { HttpRequest } from '@azure/functions';
import { EasyAuthAuthenticator, JwtAuthenticator } from '../../../../shared/auth/authenticator';
import { JwksKeyStore } from '../../../../shared/auth/jwksKeyStore';
import { recordingLogger, TestClock } from '../../../support/testClock';

const principal = (body: unknown) => Buffer.from(JSON.stringify(body)).toString('base64');
const request = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/x', headers });

const LOGIC_APP = {
  auth_typ: 'aad',
  name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  claims: [
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '44444444-4444-4444-4444-444444444444' },
    { typ: 'appid', val: '55555555-5555-5555-5555-555555555555' },
    { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Broker.GatewayToken' },
    { typ: 'roles', val: 'Broker.SsoToken' },
  ],
};

describe('Easy Auth principal (only when configured)', () => {
  it("reads the caller and its roles from App Service's x-ms-client-principal", async () => {
    const caller = await new EasyAuthAuthenticator().authenticate(request({ 'x-ms-client-principal': principal(LOGIC_APP) }));
    expect(caller).toEqual({
      id: '44444444-4444-4444-4444-444444444444',
      appId: '55555555-5555-5555-5555-555555555555',
      name: undefined,
      roles: ['Broker.GatewayToken', 'Broker.SsoToken'],
    });
  });

  it("reads a user's delegated principal, with its scopes, from App Service's claim names", async () => {
    const user = {
      ...LOGIC_APP,
      claims: [...LOGIC_APP.claims, { typ: 'http://schemas.microsoft.com/identity/claims/scope', val: 'User.Read access_as_user' }],
    };
    const caller = await new EasyAuthAuthenticator().authenticate(request({ 'x-ms-client-principal': principal(user) }));
    expect(caller).toMatchObject({ id: '44444444-4444-4444-4444-444444444444', delegatedScopes: ['User.Read', 'access_as_user'] });
  });

  it('refuses a request without a principal, or with an unreadable one', async () => {
    await expect(new EasyAuthAuthenticator().authenticate(request({}))).rejects.toMatchObject({ status: 401 });
    await expect(new EasyAuthAuthenticator().authenticate(request({ 'x-ms-client-principal': '%%%' }))).rejects.toMatchObject({
      status: 401,
    });
    await expect(
      new EasyAuthAuthenticator().authenticate(request({ 'x-ms-client-principal': principal({ claims: [{ typ: 'roles', val: 'x' }] }) })),
    ).rejects.toMatchObject({
      status: 401,
      internal: 'Easy Auth principal: no oid or sub claim',
      headers: {
        'WWW-Authenticate': `Bearer error="invalid_token", error_description="App Service Authentication's principal names no caller the broker accepts."`,
      },
    });
  });

  it('is never trusted in bearer-token mode: the header alone is a 401, and the JWKS is not even fetched', async () => {
    let fetched = 0;
    const clock = new TestClock();
    const keys = new JwksKeyStore({ clock, minRefreshMs: 0, fetchJwks: async () => (fetched += 1) });
    const jwt = new JwtAuthenticator({ issuers: ['https://issuer/'], audiences: ['api://broker'] }, keys, {
      clockSkewMs: 60_000,
      clock,
      maxVerifiedTokens: 10,
    });
    await expect(jwt.authenticate(request({ 'x-ms-client-principal': principal(LOGIC_APP) }), recordingLogger())).rejects.toMatchObject({
      status: 401,
    });
    expect(fetched).toBe(0);
  });
});
