import { formatIsoDuration, parseIsoDuration } from '../../../../shared/time/duration';

describe('ISO 8601 durations', () => {
  it.each([
    ['PT60S', 60_000],
    ['PT1H', 3_600_000],
    ['P20D', 20 * 86_400_000],
    ['P1W', 7 * 86_400_000],
    ['P1DT2H3M4.5S', 93_784_500],
  ])('%s is %d ms', (text, ms) => expect(parseIsoDuration(text)).toBe(ms));

  it.each(['', 'P', 'PT', 'P1M', 'P1Y', '1H', 'PT-1S', 'P1DT'])('refuses %j', (text) => {
    expect(parseIsoDuration(text)).toBeUndefined();
  });

  it('formats whole seconds compactly', () => {
    expect(formatIsoDuration(30 * 86_400_000 - 60_000)).toBe('P29DT23H59M');
    expect(formatIsoDuration(0)).toBe('PT0S');
  });
});
