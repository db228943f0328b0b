import { createHmac, randomBytes } from 'node:crypto';
import { AuditLog } from '../../../../shared/audit/auditLog';
import { recordingLogger } from '../../../support/testClock';

describe('audit log', () => {
  const key = randomBytes(32);
  const audit = new AuditLog(key);
  const caller = { id: 'oid-1', appId: 'app-1', roles: ['Broker.GatewayToken'] };

  it('fingerprints a credential with the keyed HMAC-SHA256 an operator can recompute', () => {
    const expected = createHmac('sha256', key).update('gw1&202612220945&sig==').digest('base64url');
    expect(audit.fingerprint('gw1&202612220945&sig==')).toBe(`hmac-sha256:${expected}`);
    expect(new AuditLog(randomBytes(32)).fingerprint('gw1&202612220945&sig==')).not.toBe(audit.fingerprint('gw1&202612220945&sig=='));
  });

  it('writes one issued event with everything but the credential', () => {
    const log = recordingLogger();
    audit.issued(log, {
      caller,
      operation: 'gatewayToken',
      target: { service: 'apimService1', gatewayId: 'gw1', keyType: 'primary' },
      issuance: { secret: 'gw1&202612220945&secret-signature', expiresOn: new Date('2026-12-22T09:45:00Z'), cache: 'hit' },
    });
    expect(log.events).toEqual([
      {
        level: 'info',
        event: 'audit',
        outcome: 'issued',
        operation: 'gatewayToken',
        status: 200,
        caller: { id: 'oid-1', appId: 'app-1' },
        target: { service: 'apimService1', gatewayId: 'gw1', keyType: 'primary' },
        expiresOn: '2026-12-22T09:45:00.000Z',
        cache: 'hit',
        fingerprint: audit.fingerprint('gw1&202612220945&secret-signature'),
      },
    ]);
    expect(JSON.stringify(log.events)).not.toContain('secret-signature');
  });

  it('writes one denied event with the reason', () => {
    const log = recordingLogger();
    audit.denied(log, { operation: 'ssoToken', target: {}, status: 401, reason: 'expired' });
    expect(log.events).toEqual([
      { level: 'warn', event: 'audit', outcome: 'denied', operation: 'ssoToken', status: 401, caller: null, target: {}, reason: 'expired' },
    ]);
  });
});
