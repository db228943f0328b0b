import type { AuthSettings, Operation } from '../config/configSchema';
import { ForbiddenError } from '../errors';
import type { Caller } from './caller';

export interface Target {
  service?: string;
  gatewayId?: string;
}

const includes = (allowed: readonly string[] | undefined, value: string | undefined) =>
  allowed === undefined || value === undefined || allowed.some((item) => item.toLowerCase() === value.toLowerCase());

/**
 * Deny by default: an operation needs one of its app roles, whether assigned to a user (delegated
 * token) or to an application; a role may further be scoped to some service aliases and gateway
 * IDs, and then a caller may only ask for what one of its roles covers. A delegated token must also
 * carry the broker's delegated scope: without it the user never consented to the client acting for
 * them at the broker, whatever their roles.
 */
export class Authorizer {
  constructor(private readonly settings: Pick<AuthSettings, 'roles' | 'roleScopes' | 'delegatedScope'>) {}

  /** The caller's roles that grant the operation; throws 403 naming the scope or the role when they are missing. */
  grantingRoles(caller: Caller, operation: Operation): string[] {
    if (caller.delegatedScopes && !caller.delegatedScopes.includes(this.settings.delegatedScope)) {
      throw ForbiddenError.missingDelegatedScope(this.settings.delegatedScope);
    }
    const roles = this.settings.roles[operation];
    const granting = caller.roles.filter((role) => roles.includes(role));
    if (granting.length === 0) throw ForbiddenError.missingRole(roles[0] ?? operation);
    return granting;
  }

  requireTarget(caller: Caller, operation: Operation, target: Target): void {
    const covered = this.grantingRoles(caller, operation).some((role) => {
      const scope = this.settings.roleScopes.get(role);
      return includes(scope?.services, target.service) && includes(scope?.gateways, target.gatewayId);
    });
    if (!covered) {
      const what =
        target.gatewayId === undefined ? `service '${target.service}'` : `gateway '${target.gatewayId}' of service '${target.service}'`;
      throw ForbiddenError.outOfScope(what);
    }
  }
}
