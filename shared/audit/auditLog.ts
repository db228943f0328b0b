import { createHmac } from 'node:crypto';
import type { Caller } from '../auth/caller';
import type { Operation } from '../config/configSchema';
import type { Logger } from '../logging/logger';

export interface AuditTarget {
  service?: string;
  gatewayId?: string;
  keyType?: string;
  authsid?: string;
  product?: string;
  customerAccountCode?: string;
}

export interface Issuance {
  /** The credential handed out; only its fingerprint is logged. */
  secret: string;
  expiresOn?: Date;
  /** `published`: a rotation target's published token, served as it is. */
  cache?: 'hit' | 'miss' | 'published';
}

/**
 * One structured event (`"event": "audit"`) per issuance and per denial. A token is identified
 * by a keyed HMAC-SHA256 fingerprint, never by its value, so an operator holding a token and the
 * key can tell whether the broker issued it, and to whom (docs/audit.md).
 */
export class AuditLog {
  constructor(private readonly key: Buffer) {}

  fingerprint(secret: string): string {
    return `hmac-sha256:${createHmac('sha256', this.key).update(secret, 'utf8').digest('base64url')}`;
  }

  issued(log: Logger, entry: { caller?: Caller; operation: Operation; target: AuditTarget; issuance: Issuance }): void {
    log.info({
      event: 'audit',
      outcome: 'issued',
      operation: entry.operation,
      status: 200,
      caller: describeCaller(entry.caller),
      target: entry.target,
      ...(entry.issuance.expiresOn === undefined ? {} : { expiresOn: entry.issuance.expiresOn.toISOString() }),
      ...(entry.issuance.cache === undefined ? {} : { cache: entry.issuance.cache }),
      fingerprint: this.fingerprint(entry.issuance.secret),
    });
  }

  denied(log: Logger, entry: { caller?: Caller; operation: Operation; target: AuditTarget; status: number; reason: string }): void {
    log.warn({
      event: 'audit',
      outcome: 'denied',
      operation: entry.operation,
      status: entry.status,
      caller: describeCaller(entry.caller),
      target: entry.target,
      reason: entry.reason,
    });
  }
}

function describeCaller(caller: Caller | undefined) {
  if (!caller) return null;
  return {
    id: caller.id,
    ...(caller.appId ? { appId: caller.appId } : {}),
    ...(caller.name ? { name: caller.name } : {}),
    // A user signed in through a client app, not the app itself: `id` is the user's.
    ...(caller.delegatedScopes ? { delegated: true } : {}),
  };
}
