import { licenseSpringSsoUrlHandler } from '../../../functions/licenseSpringSsoUrl';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { invokeHandler } from '../../support/invokeHandler';

const suite = useBrokerEnvironment();

const ssoUrl = (query: string) =>
  invokeHandler(licenseSpringSsoUrlHandler, {
    path: `/api/licensespring/sso-url?${query}`,
    headers: { authorization: suite.authorization, 'x-request-id': 'ls-1' },
  });

describe('GET /api/licensespring/sso-url', () => {
  it('returns a signed, verified SSO URL for the code flow by default', async () => {
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    expect(result.status).toBe(200);
    expect(result.headers['cache-control']).toBe('no-store');
    expect(new URL(result.json.url).searchParams.get('response_type')).toBe('code');
    expect(Object.keys(result.json).sort()).toEqual(['alternate_urls', 'openid_configuration', 'url']);
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(1);
  });

  it('asks for the token flow when told to', async () => {
    const result = await ssoUrl('product=demo&customer_account_code=acme&response_type=token');
    expect(new URL(result.json.url).searchParams.get('response_type')).toBe('token');
  });

  it('maps unknown_product to 400 UnknownProduct', async () => {
    const result = await ssoUrl('product=nope&customer_account_code=acme');
    expect(result.status).toBe(400);
    expect(result.json.error).toEqual({ code: 'UnknownProduct', message: 'LicenseSpring does not know this product.', target: 'product' });
  });

  it('refuses an answer whose LicenseSignature does not verify, with 502', async () => {
    suite.env.licenseSpring.tamperNextSignature('corrupt');
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    expect(result.status).toBe(502);
    expect(result.json.error.code).toBe('UpstreamError');
    expect(JSON.stringify(result.json)).not.toContain('auth.licensespring.com');
    expect(result.logs.join('\n')).toContain('invalid LicenseSignature');
  });

  it('refuses an answer without LicenseSignature, with 502', async () => {
    suite.env.licenseSpring.tamperNextSignature('omit');
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    expect(result.status).toBe(502);
    expect(result.logs.join('\n')).toContain('missing LicenseSignature');
  });

  it('retries a LicenseSpring 503 and succeeds', async () => {
    suite.env.licenseSpring.inject('SsoUrl', { status: 503 });
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    expect(result.status).toBe(200);
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(2);
  });

  it('logs neither the shared key nor the signature', async () => {
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    const logs = result.logs.join('\n');
    expect(logs).not.toContain(suite.env.licenseSpring.sharedKey);
    expect(logs).not.toContain('signature=');
  });
});
