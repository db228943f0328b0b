import type * as AuthorizationServerFunction from '../../../functions/authorizationServer';
import { authorizationServerHandler } from '../../../functions/authorizationServer';
import officialExample from '../../fixtures/vectors/apim/2024-05-01_ApiManagementGetAuthorizationServer.json';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

const suite = useBrokerEnvironment();

/** The handler of a new instance, whose memory is empty. */
const freshHandler = () =>
  freshInstance(() => require('../../../functions/authorizationServer') as typeof AuthorizationServerFunction).authorizationServerHandler;

const get = (authsid = 'newauthServer2', headers: Record<string, string> = {}, handler = authorizationServerHandler) =>
  invokeHandler(handler, {
    params: { service: 'apimService1', authsid },
    headers: { authorization: suite.authorization, ...headers },
  });

describe('GET /api/apim/{service}/authorization-servers/{authsid}', () => {
  it('returns the official example without its secrets, with the ETag passed through', async () => {
    const result = await get();
    expect(result.status).toBe(200);
    expect(result.headers['cache-control']).toBe('no-cache');
    expect(result.headers.etag).toMatch(/^"/);
    const { resourceOwnerUsername, resourceOwnerPassword, ...ordinary } = officialExample.responses['200'].body.properties;
    expect([resourceOwnerUsername, resourceOwnerPassword]).toEqual(['un', 'pwd']);
    expect(result.json.properties).toEqual(ordinary);
    expect(JSON.stringify(result.json)).not.toMatch(/clientSecret|resourceOwner|"pwd"/);
  });

  it('answers 304 to a matching If-None-Match, from memory within the cache lifetime', async () => {
    const fresh = freshHandler();
    const first = await get('newauthServer2', {}, fresh);
    expect(suite.env.arm.calls().AuthorizationServer_Get).toBe(1);
    const second = await get('newauthServer2', { 'if-none-match': first.headers.etag ?? '' }, fresh);
    expect(second.status).toBe(304);
    expect(second.json).toBeUndefined();
    expect(second.headers.etag).toBe(first.headers.etag);
    expect(suite.env.arm.calls().AuthorizationServer_Get).toBe(1);
  });

  it('maps an upstream 404 to NotFound naming the authorization server, and remembers it briefly', async () => {
    const fresh = freshHandler();
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => get('missingServer', {}, fresh)));
    const repeated = await get('MissingServer', {}, fresh);
    for (const result of [...concurrent, repeated]) {
      expect(result.status).toBe(404);
      expect(result.json.error).toEqual({ code: 'NotFound', message: "Authorization server 'missingServer' was not found." });
    }
    expect(suite.env.arm.calls().AuthorizationServer_Get).toBe(1);
  });

  it('names only the missing read permission when ARM refuses', async () => {
    suite.env.arm.inject(
      'AuthorizationServer_Get',
      suite.env.arm.authorizationFailedFault('AuthorizationServer_Get', '11111111-2222-3333-4444-555555555555', {
        service: 'apimService1',
        resourceName: 'newauthServer2',
      }),
    );
    const result = await get('newauthServer2', {}, freshHandler());
    expect(result.status).toBe(502);
    expect(result.json.error.message).toMatch(
      /^The broker's identity lacks the permission 'Microsoft\.ApiManagement\/service\/authorizationServers\/read'\./,
    );
    expect(result.json.error.message).not.toContain('00000000-0000');
  });
});
