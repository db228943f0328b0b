import { InvalidParameterError } from '../../../../shared/errors';
import { parseInput } from '../../../../shared/http/validation';
import {
  authorizationServerPathSchema,
  gatewayPathSchema,
  gatewayTokenBodySchema,
  licenseSpringSsoQuerySchema,
  ssoTokenPathSchema,
} from '../../../../shared/schemas/requestSchemas';

/** What a refused input tells its caller: the field named, and the messages of its problems. */
function refusal(run: () => unknown): { target?: string; messages: string[] } {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidParameterError);
    const invalid = error as InvalidParameterError;
    return { target: invalid.target, messages: (invalid.details ?? []).map((detail) => detail.message) };
  }
  throw new Error('the input was accepted');
}

const INVISIBLE_RULE = 'must not contain whitespace, control or invisible format characters (such as U+200B or U+202E)';

const INVISIBLE: [string, string][] = [
  ['a space', ' '],
  ['a tab', '\t'],
  ['a no-break space', '\u00a0'],
  ['an ideographic space', '\u3000'],
  ['a line separator', '\u2028'],
  ['NUL', '\u0000'],
  ['DEL', '\u007f'],
  ['NEL', '\u0085'],
  ['a soft hyphen', '\u00ad'],
  ['a zero-width space', '\u200b'],
  ['a zero-width non-joiner', '\u200c'],
  ['a zero-width joiner', '\u200d'],
  ['a word joiner', '\u2060'],
  ['a byte order mark', '\ufeff'],
  ['a right-to-left override', '\u202e'],
  ['a left-to-right embedding', '\u202a'],
  ['a first-strong isolate', '\u2068'],
  ['a Hangul filler', '\u3164'],
  ['a tag character', '\u{e0041}'],
];

describe('path values', () => {
  const paths = {
    service: (value: string) => parseInput(ssoTokenPathSchema, { service: value }),
    gatewayId: (value: string) => parseInput(gatewayPathSchema, { service: 'apimService1', gatewayId: value }),
    authsid: (value: string) => parseInput(authorizationServerPathSchema, { service: 'apimService1', authsid: value }),
  };

  describe.each(Object.entries(paths))('%s', (field, parse) => {
    it.each(INVISIBLE)(`refuses ${field} with %s, naming the field and the rule`, (_name, character) => {
      for (const value of [`gw${character}1`, `${character}gw1`, `gw1${character}`]) {
        expect(refusal(() => parse(value))).toEqual({ target: field, messages: [INVISIBLE_RULE] });
      }
    });

    it.each([
      ['a fullwidth solidus', 'gw\uff0f1'],
      ['a fullwidth reverse solidus', 'gw\uff3c1'],
      ['a fullwidth percent sign', 'gw\uff051'],
      ["fullwidth '..'", '\uff0e\uff0e'],
    ])(`refuses ${field} with %s, which NFKC makes structural`, (_name, value) => {
      expect(refusal(() => parse(value)).target).toBe(field);
    });

    it.each(['gw1', 'gw-1', 'gw.1', 'gw_1', 'Gw1', 'gwé', '東京'])(`accepts ${field} %j`, (value) => {
      expect(() => parse(value)).not.toThrow();
    });
  });

  it.each([
    'managed',
    'MANAGED',
    'Managed',
    '\uff4d\uff41\uff4e\uff41\uff47\uff45\uff44',
    '\uff2d\uff21\uff2e\uff21\uff27\uff25\uff24',
    'man\uff41ged',
  ])("refuses the gateway ID %j, which is 'managed' in NFKC form and any case", (gatewayId) => {
    expect(refusal(() => paths.gatewayId(gatewayId))).toEqual({
      target: 'gatewayId',
      messages: ["must not be 'managed' in any case or width (compared in Unicode NFKC form)"],
    });
  });

  it.each(['newauth\uff0aServer2', 'newauth\uff03Server2', 'newauth\uff1aServer2'])(
    'refuses the authorization-server name %j, whose NFKC form has a character ARM forbids',
    (authsid) => {
      expect(refusal(() => paths.authsid(authsid))).toEqual({ target: 'authsid', messages: ['must not contain any of * # & + : < > ?'] });
    },
  );

  it("lets other values near 'managed' through", () => {
    for (const gatewayId of ['managed1', 'unmanaged', 'managed-gw']) expect(() => paths.gatewayId(gatewayId)).not.toThrow();
  });
});

describe('LicenseSpring query values', () => {
  const query = (values: Record<string, string>) =>
    parseInput(licenseSpringSsoQuerySchema, { product: 'demo', customer_account_code: 'acme', ...values });

  it.each([
    ['product', 'U+0001', '\u0001'],
    ['product', 'a line feed', '\n'],
    ['customer_account_code', 'DEL', '\u007f'],
    ['customer_account_code', 'a zero-width space', '\u200b'],
    ['product', 'a right-to-left override', '\u202e'],
  ])('refuses %s with %s', (field, _name, character) => {
    expect(refusal(() => query({ [field]: `de${character}mo` }))).toEqual({
      target: field,
      messages: ['must not contain control or invisible format characters'],
    });
  });

  it('leaves spaces to LicenseSpring', () => {
    expect(query({ customer_account_code: 'acme corp' }).customer_account_code).toBe('acme corp');
  });
});

describe('gateway token expiry', () => {
  it.each([
    '2027-01-01T00:00:00+05:75',
    '2027-01-01T00:00:00+14:30',
    '2027-01-01T00:00:00-15:00',
    '1999-12-31T00:00:00Z',
    '0099-01-01T00:00:00Z',
  ])('refuses %s, naming expiry and the rule', (expiry) => {
    const { target, messages } = refusal(() => parseInput(gatewayTokenBodySchema, { expiry }));
    expect(target).toBe('expiry');
    expect(messages).toEqual([expect.stringContaining('years 2000-9999, offsets at most ±14:00')]);
  });
});
