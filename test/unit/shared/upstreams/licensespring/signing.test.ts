import {
  authorizationHeader,
  licenseSpringDate,
  parseAuthorizationHeader,
  sign,
  signingString,
} from '../../../../../shared/upstreams/licensespring/signing';
import vector from '../../../../fixtures/vectors/licensespring/request-signature.json';

describe('LicenseSpring request signing (vendor example vector)', () => {
  it('formats the Date header as RFC 7231 GMT', () => {
    expect(licenseSpringDate(new Date(Date.parse(vector.date)))).toBe(vector.date);
  });

  it('builds the signing string without a trailing newline', () => {
    expect(signingString(vector.date)).toBe(vector.signingString);
  });

  it('signs with base64 HMAC-SHA256 of the shared key', () => {
    expect(sign(vector.sharedKey, vector.date)).toBe(vector.signature);
  });

  it('builds the Authorization header exactly', () => {
    expect(authorizationHeader({ apiKey: vector.apiKey, sharedKey: vector.sharedKey, date: vector.date })).toBe(vector.authorizationHeader);
  });
});

describe('parseAuthorizationHeader', () => {
  const parameters = {
    algorithm: 'hmac-sha256',
    headers: 'date',
    signature: vector.signature,
    apikey: vector.apiKey,
  };

  it('reads back the header it builds', () => {
    expect(parseAuthorizationHeader(vector.authorizationHeader)).toEqual(parameters);
  });

  it('accepts the spaces after commas that the vendor documentation shows', () => {
    const spaced = `algorithm="hmac-sha256", headers="date", signature="${vector.signature}", apikey="${vector.apiKey}"`;
    expect(parseAuthorizationHeader(spaced)).toEqual(parameters);
  });

  it('leaves missing parameters out so a caller can name them', () => {
    expect(parseAuthorizationHeader('algorithm="hmac-sha256",apikey="k"')).toEqual({ algorithm: 'hmac-sha256', apikey: 'k' });
  });

  it('ignores parameters the scheme does not define', () => {
    expect(parseAuthorizationHeader(`${vector.authorizationHeader},realm="x"`)).toEqual(parameters);
  });

  it.each([
    ['empty', ''],
    ['a bearer token', 'Bearer abc.def.ghi'],
    ['an unquoted value', 'algorithm=hmac-sha256'],
    ['a missing comma', 'algorithm="hmac-sha256" headers="date"'],
    ['a trailing comma', 'algorithm="hmac-sha256",'],
    ['a repeated parameter', 'apikey="a",apikey="b"'],
  ])('returns undefined for %s', (_case, value) => {
    expect(parseAuthorizationHeader(value)).toBeUndefined();
  });
});
