import type { AuditLog } from '../audit/auditLog';
import type { MintRateLimiter } from '../policy/mintRateLimiter';
import type { Authenticator } from './authenticator';
import type { Authorizer } from './authorizer';

/** Everything a route needs to decide who may do what, and to say so in the audit log. */
export interface AccessControl {
  authenticator: Authenticator;
  authorizer: Authorizer;
  mintLimiter: MintRateLimiter;
  audit: AuditLog;
}
