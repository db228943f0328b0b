import { ifNoneMatchHits } from '../../../../shared/http/conditionalRequest';

describe('If-None-Match', () => {
  it.each([
    ['"abc"', true],
    ['W/"abc"', true],
    ['"x", "abc"', true],
    ['*', true],
    ['"abd"', false],
    ['abc', false],
  ])('%s against "abc" → %s', (header, hit) => expect(ifNoneMatchHits(header, '"abc"')).toBe(hit));

  it('misses without the header', () => expect(ifNoneMatchHits(null, '"abc"')).toBe(false));
});
