import { ExpiryTooLongError, InvalidParameterError } from '../../../../shared/errors';
import { longestMinValidity, resolveGatewayExpiry, type TokenPolicySettings } from '../../../../shared/policy/tokenPolicy';

const DAY = 86_400_000;
const policy: TokenPolicySettings = {
  clockSkewMs: 60_000,
  gatewayTokenMaxLifetimeMs: 30 * DAY - 60_000,
  gatewayTokenDefaultLifetimeMs: 30 * DAY - 60_000,
  ssoMinValidityMs: 60_000,
};
const now = new Date('2026-11-22T10:00:00.000Z');
const resolve = (request: { expiry?: string; minValidityMs?: number }, settings = policy) =>
  resolveGatewayExpiry(request, now, settings).toISOString();

describe('gateway token expiry policy', () => {
  it('cuts fractional seconds (ARM example: seven digits) to whole seconds, never later', () => {
    expect(resolve({ expiry: '2026-11-23T00:44:24.2845269Z' })).toBe('2026-11-23T00:44:24.000Z');
  });

  it('converts an offset to UTC', () => {
    expect(resolve({ expiry: '2026-11-23T02:00:00+02:00' })).toBe('2026-11-23T00:00:00.000Z');
    expect(resolve({ expiry: '2026-11-22T23:30:00-05:30' })).toBe('2026-11-23T05:00:00.000Z');
  });

  it('accepts exactly the maximum: 30 days minus the skew margin', () => {
    expect(resolve({ expiry: '2026-12-22T09:59:00Z' })).toBe('2026-12-22T09:59:00.000Z');
  });

  it('refuses the maximum plus one second, stating the maximum', () => {
    const attempt = () => resolve({ expiry: '2026-12-22T09:59:01Z' });
    expect(attempt).toThrow(ExpiryTooLongError);
    expect(attempt).toThrow('at most P29DT23H59M ahead (no later than 2026-12-22T09:59:00Z)');
  });

  it('refuses 30 days exactly, the upstream limit, because of the skew margin', () => {
    expect(() => resolve({ expiry: '2026-12-22T10:00:00Z' })).toThrow(ExpiryTooLongError);
  });

  it('refuses the past and the present', () => {
    for (const expiry of ['2026-11-22T09:59:59Z', '2026-11-22T10:00:00Z', '2026-11-22T10:00:00.900Z']) {
      expect(() => resolve({ expiry })).toThrow(InvalidParameterError);
    }
  });

  it('refuses what is not an ISO 8601 date-time with a zone, naming the field', () => {
    for (const expiry of ['tomorrow', '2026-11-23', '2026-11-23T10:00:00', '2026-02-30T10:00:00Z', '2026-11-23T24:00:00Z']) {
      try {
        resolve({ expiry });
        throw new Error(`accepted ${expiry}`);
      } catch (error) {
        expect(error).toBeInstanceOf(InvalidParameterError);
        expect((error as InvalidParameterError).target).toBe('expiry');
      }
    }
  });

  it('without expiry mints for the default lifetime, in whole seconds', () => {
    const atOddMoment = new Date('2026-11-22T10:00:00.750Z');
    expect(resolveGatewayExpiry({}, atOddMoment, policy).toISOString()).toBe('2026-12-22T09:59:00.000Z');
  });

  it('mints for the default lifetime when it covers minValidity plus the skew, else for the maximum', () => {
    const shortDefault = { ...policy, gatewayTokenDefaultLifetimeMs: DAY };
    expect(resolve({ minValidityMs: DAY - 60_000 }, shortDefault)).toBe('2026-11-23T10:00:00.000Z');
    expect(resolve({ minValidityMs: DAY - 59_000 }, shortDefault)).toBe('2026-12-22T09:59:00.000Z');
    expect(resolve({ minValidityMs: 2 * DAY }, shortDefault)).toBe('2026-12-22T09:59:00.000Z');
  });

  it('accepts a minValidity up to the maximum lifetime less the skew and one hour, and names that bound beyond it', () => {
    const longest = 30 * DAY - 60_000 - 60_000 - 3_600_000;
    expect(longestMinValidity(policy)).toBe(longest);
    expect(resolve({ minValidityMs: longest })).toBe('2026-12-22T09:59:00.000Z');
    expect(() => resolve({ minValidityMs: longest + 1000 })).toThrow(InvalidParameterError);
    expect(() => resolve({ minValidityMs: longest + 1000 })).toThrow("Invalid 'minValidity': must be at most P29DT22H58M");
  });
});
