import type { EmulatorResponse } from '../httpsEmulator';

/** APIM's `ErrorFieldContract`: one invalid field of a request. */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

/** ARM's error envelope, shared by ARM itself and the API Management resource provider. */
export interface ArmErrorBody {
  error: {
    code: string;
    message: string;
    target?: string;
    details?: ArmErrorDetail[];
  };
}

/** A field that broke a rule of the specification; `target` is the parameter or body property. */
export interface FieldProblem {
  target: string;
  message: string;
}

export function armError(code: string, message: string, details?: ArmErrorDetail[]): ArmErrorBody {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

export function armErrorResponse(status: number, code: string, message: string, headers: Record<string, string> = {}): EmulatorResponse {
  return { status, headers, body: armError(code, message) };
}

/** APIM's answer to invalid request values: one `ValidationError` whose details name each field. */
export function validationErrorResponse(problems: readonly FieldProblem[]): EmulatorResponse {
  return {
    status: 400,
    body: armError(
      'ValidationError',
      'One or more fields contain incorrect values:',
      problems.map(({ target, message }) => ({ code: 'ValidationError', target, message })),
    ),
  };
}

/**
 * The body ARM returns (403) when the caller's identity lacks an RBAC action on a scope, e.g.
 * action `Microsoft.ApiManagement/service/gateways/generateToken/action` over the gateway's resource ID.
 */
export function authorizationFailedBody(principalObjectId: string, action: string, scope: string): ArmErrorBody {
  return armError(
    'AuthorizationFailed',
    `The client '${principalObjectId}' with object id '${principalObjectId}' does not have authorization to perform ` +
      `action '${action}' over scope '${scope}' or the scope is invalid. ` +
      'If access was recently granted, please refresh your credentials.',
  );
}
