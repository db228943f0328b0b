import { ForbiddenError, InvalidParameterError, NotFoundError, UnknownServiceError } from '../../../../shared/errors';
import { visible } from '../../../../shared/errors/visibleText';

/** Control, format, separator and other default-ignorable characters, none of which may reach a message raw. */
const INVISIBLE = [
  '\u0000',
  '\u0007',
  '\u001b',
  '\u007f',
  '\u0085',
  '\u00a0',
  '\u00ad',
  '\u200b',
  '\u200d',
  '\u202e',
  '\u2066',
  '\u2028',
  '\u3000',
  '\u3164',
  '\ufeff',
  '\u{e0001}',
];
const RAW = new RegExp(`[${INVISIBLE.join('')}]`, 'u');

describe('caller text in error messages', () => {
  it('escapes every invisible character as \\u{XXXX}, and leaves plain spaces and other text alone', () => {
    expect(visible('gw\u200b1')).toBe('gw\\u{200B}1');
    expect(visible('a\u202eb\u0000c\u{e0001}')).toBe('a\\u{202E}b\\u{0000}c\\u{E0001}');
    expect(visible('gateway one, é, 東京')).toBe('gateway one, é, 東京');
    for (const character of INVISIBLE) expect(visible(`x${character}y`)).not.toMatch(RAW);
  });

  it.each([
    ['UnknownService', () => new UnknownServiceError('apim\u200bService1'), "alias 'apim\\u{200B}Service1'"],
    ['Forbidden (out of scope)', () => ForbiddenError.outOfScope("gateway 'gw\u202e1'"), "gateway 'gw\\u{202E}1'"],
    ['NotFound', () => new NotFoundError("Gateway 'gw\u00001'"), "Gateway 'gw\\u{0000}1' was not found."],
  ])('%s escapes the value it names', (_name, make, shown) => {
    const error = make();
    expect(error.message).toContain(shown);
    expect(error.message).not.toMatch(RAW);
  });

  it('InvalidParameter escapes its target and every detail, as caller-chosen field names end up there', () => {
    const error = new InvalidParameterError('key\u200bType', [
      { code: 'UnknownField', target: 'key\u200bType', message: 'is not a field this operation accepts' },
      { code: 'UnknownField', target: '\u202eevil', message: 'is not a field this operation accepts' },
    ]);
    expect(error.target).toBe('key\\u{200B}Type');
    expect(error.message).toBe("Invalid 'key\\u{200B}Type': is not a field this operation accepts (and 1 more problem)");
    expect(error.details?.map((detail) => detail.target)).toEqual(['key\\u{200B}Type', '\\u{202E}evil']);
    expect(JSON.stringify(error.details)).not.toMatch(RAW);
  });
});
