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

  it('maps customer_account_not_found to 404 UnknownCustomerAccount', async () => {
    const result = await ssoUrl('product=demo&customer_account_code=nobody');
    expect(result.status).toBe(404);
    expect(result.json.error).toEqual({
      code: 'UnknownCustomerAccount',
      message: 'LicenseSpring does not know this customer account.',
      target: 'customer_account_code',
    });
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(1);
  });

  it.each([
    ['__proto__', 'product=demo&customer_account_code=acme&__proto__=x'],
    ['__proto__', '__proto__=x&product=demo&customer_account_code=acme'],
    ['constructor', 'product=demo&customer_account_code=acme&constructor=x'],
    ['hasOwnProperty', 'product=demo&customer_account_code=acme&hasOwnProperty=x'],
    ['redirect_uri', 'product=demo&customer_account_code=acme&redirect_uri=https%3A%2F%2Fevil.example'],
  ])('refuses the unknown query parameter %s with 400 naming it, before LicenseSpring', async (name, query) => {
    const result = await ssoUrl(query);
    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ code: 'InvalidParameter', target: name });
    expect(result.json.error.details).toEqual([{ code: 'UnknownField', target: name, message: 'is not a field this operation accepts' }]);
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(0);
  });

  it.each([
    ['product', 'product=de%01mo&customer_account_code=acme'],
    ['product', 'product=demo%0A&customer_account_code=acme'],
    ['customer_account_code', 'product=demo&customer_account_code=ac%00me'],
    ['customer_account_code', 'product=demo&customer_account_code=ac%E2%80%8Bme'],
  ])('refuses a control or format character in %s (%s), before LicenseSpring', async (field, query) => {
    const result = await ssoUrl(query);
    expect(result.status).toBe(400);
    expect(result.json.error).toMatchObject({ code: 'InvalidParameter', target: field });
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(0);
  });

  it('answers a LicenseSpring 429 beyond the budget with 503 UpstreamThrottled and its Retry-After', async () => {
    suite.env.licenseSpring.inject('SsoUrl', { status: 429, retryAfterSeconds: 30 });
    const result = await ssoUrl('product=demo&customer_account_code=acme');
    expect(result.status).toBe(503);
    expect(result.headers['retry-after']).toBe('30');
    expect(result.json.error).toEqual({
      code: 'UpstreamThrottled',
      message: 'The upstream service is throttling requests. Request id: ls-1.',
    });
    expect(suite.env.licenseSpring.calls().SsoUrl).toBe(1);
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
