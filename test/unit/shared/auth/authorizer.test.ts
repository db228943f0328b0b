import { Authorizer } from '../../../../shared/auth/authorizer';
import type { Operation } from '../../../../shared/config/configSchema';
import { ForbiddenError } from '../../../../shared/errors';

const roles: Record<Operation, string[]> = {
  ssoToken: ['Broker.SsoToken'],
  gatewayToken: ['Broker.GatewayToken', 'Broker.GatewayToken.TeamA'],
  authorizationServerRead: ['Broker.AuthorizationServer.Read'],
  licenseSpringSsoUrl: ['Broker.LicenseSpring.SsoUrl'],
  rotate: ['Broker.Rotate'],
  tokenStatus: ['Broker.Rotate', 'Broker.GatewayToken'],
};
const authorizer = new Authorizer({
  roles,
  delegatedScope: 'access_as_user',
  roleScopes: new Map([['Broker.GatewayToken.TeamA', { services: ['apimService1'], gateways: ['gw1', 'gw3'] }]]),
});
const caller = (...callerRoles: string[]) => ({ id: 'oid', roles: callerRoles });

describe('authorization', () => {
  it("requires the broker's delegated scope of a delegated caller before any role, and none of an application", () => {
    const user = (...scopes: string[]) => ({ ...caller('Broker.SsoToken'), delegatedScopes: scopes });
    expect(() => authorizer.grantingRoles(user('User.Read'), 'ssoToken')).toThrow("lacks the scope 'access_as_user'");
    expect(() => authorizer.grantingRoles(user(), 'rotate')).toThrow("lacks the scope 'access_as_user'");
    expect(authorizer.grantingRoles(user('User.Read', 'access_as_user'), 'ssoToken')).toEqual(['Broker.SsoToken']);
    expect(() => authorizer.grantingRoles(user('access_as_user'), 'rotate')).toThrow("lacks the app role 'Broker.Rotate'");
    expect(authorizer.grantingRoles(caller('Broker.SsoToken'), 'ssoToken')).toEqual(['Broker.SsoToken']);
  });

  it('denies by default, naming the first role of the operation', () => {
    expect(() => authorizer.grantingRoles(caller(), 'gatewayToken')).toThrow("lacks the app role 'Broker.GatewayToken'");
    expect(() => authorizer.grantingRoles(caller('Broker.SsoToken'), 'rotate')).toThrow(ForbiddenError);
  });

  it('grants with any of the operation roles', () => {
    expect(authorizer.grantingRoles(caller('Broker.GatewayToken.TeamA', 'Broker.SsoToken'), 'gatewayToken')).toEqual([
      'Broker.GatewayToken.TeamA',
    ]);
  });

  it('keeps a scoped role to its services and gateways (case-insensitively, like ARM names)', () => {
    const teamA = caller('Broker.GatewayToken.TeamA');
    expect(() => authorizer.requireTarget(teamA, 'gatewayToken', { service: 'apimService1', gatewayId: 'GW1' })).not.toThrow();
    expect(() => authorizer.requireTarget(teamA, 'gatewayToken', { service: 'apimService1', gatewayId: 'gw2' })).toThrow(
      "do not cover gateway 'gw2' of service 'apimService1'",
    );
    expect(() => authorizer.requireTarget(teamA, 'gatewayToken', { service: 'otherService', gatewayId: 'gw1' })).toThrow(ForbiddenError);
  });

  it('lets a caller holding both an unscoped and a scoped role use the unscoped one', () => {
    expect(() =>
      authorizer.requireTarget(caller('Broker.GatewayToken', 'Broker.GatewayToken.TeamA'), 'gatewayToken', {
        service: 'x',
        gatewayId: 'gw9',
      }),
    ).not.toThrow();
  });
});
