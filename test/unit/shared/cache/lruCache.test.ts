import { LruCache } from '../../../../shared/cache/lruCache';

describe('bounded memory (LRU with expiry)', () => {
  it('never holds more than its bound: the least recently used entry goes first', () => {
    const cache = new LruCache<string>(2);
    cache.set('a', 'A', 100);
    cache.set('b', 'B', 100);
    expect(cache.get('a', 0)).toBe('A');
    cache.set('c', 'C', 100);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 0)).toBeUndefined();
    expect(cache.get('a', 0)).toBe('A');
    expect(cache.get('c', 0)).toBe('C');
  });

  it('drops an entry at its expiry', () => {
    const cache = new LruCache<string>(10);
    cache.set('a', 'A', 100);
    expect(cache.get('a', 99)).toBe('A');
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('replaces a key in place, without growing', () => {
    const cache = new LruCache<number>(2);
    for (let i = 0; i < 1000; i += 1) cache.set('same', i, 100);
    expect(cache.size).toBe(1);
    expect(cache.get('same', 0)).toBe(999);
  });

  it('stays at its bound under 100,000 distinct keys', () => {
    const cache = new LruCache<number>(1000);
    for (let i = 0; i < 100_000; i += 1) cache.set(`key-${i}`, i, Number.POSITIVE_INFINITY);
    expect(cache.size).toBe(1000);
    expect(cache.get('key-99999', 0)).toBe(99_999);
    expect(cache.get('key-98999', 0)).toBeUndefined();
  });
});
