import { createHash, randomBytes as cryptoRandomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Clock, systemClock } from '../../../shared/time/clock';
import { type EmulatorRequest, type EmulatorResponse, type Fault, HttpsEmulator } from '../httpsEmulator';
import { readStateFile, writeStateFile } from '../stateFile';
import { newGatewayKey, type RandomBytes, signGatewayToken, ssoRedirectUri, verifyGatewayToken } from './apimCredentials';
import { ApimState, type ArmSeed, DEFAULT_ARM_SEED, type GatewayKeys, type GatewayState, type ServiceState } from './apimState';
import { armError, armErrorResponse, authorizationFailedBody, validationErrorResponse } from './armErrors';
import {
  ARM_EMULATOR_OPERATIONS,
  ARM_OPERATION_ACTIONS,
  ARM_OPERATION_COLLECTIONS,
  type ArmEmulatorOperation,
  type ArmOperation,
  GATEWAY_CONFIGURATION,
  serviceResourceId,
} from './armOperations';
import { APIM_API_VERSIONS, checkGatewayTokenRequest, checkKeyType, pathParameterProblems } from './armRequestRules';
import { EXAMPLE_GATEWAY_KEYS, EXAMPLE_GATEWAY_TOKEN, EXAMPLE_SSO_TOKEN } from './officialExamples';
import { ARM_SUBSCRIPTION_BUDGETS, type RequestBudget, type RequestKind, SubscriptionThrottling } from './subscriptionThrottling';

export { type ApimServiceSeed, type ArmSeed, type AuthorizationServerContract, DEFAULT_ARM_SEED } from './apimState';
export { type ArmErrorBody, authorizationFailedBody } from './armErrors';
export {
  ARM_EMULATOR_OPERATIONS,
  ARM_OPERATION_ACTIONS,
  ARM_OPERATIONS,
  type ArmEmulatorOperation,
  type ArmOperation,
  GATEWAY_CONFIGURATION,
} from './armOperations';
export { APIM_API_VERSIONS } from './armRequestRules';

export interface ArmEmulatorOptions {
  /** The subscription, resource group, services, gateways and authorization servers. Default: {@link DEFAULT_ARM_SEED}. */
  seed?: ArmSeed;
  /** The clock expiry rules and token validity are judged by. */
  clock?: Clock;
  /** Source of gateway keys and SSO token signatures. */
  randomBytes?: RandomBytes;
  /** Decides whether a bearer token is accepted; default: any non-empty token. */
  verifyBearer?: (token: string) => boolean;
  /**
   * Serve the official examples' success bodies as they are: `getssotoken` and `generateToken` answer
   * the example body whatever was asked (after validation), and gateway keys start as the `listKeys`
   * example's. `AuthorizationServer_Get` serves the seeded contract either way.
   */
  officialExamples?: boolean;
  /** Overrides ARM's per-principal, per-subscription request budgets (e.g. a small one to test throttling). */
  throttling?: Partial<Record<RequestKind, RequestBudget>>;
  /**
   * A JSON file the gateway keys are loaded from at construction and written to whenever they
   * change, so tokens signed before a restart still validate after it. Gateways it lacks get new keys.
   */
  gatewayKeysFile?: string;
}

/** Microsoft.ApiManagement's resource path; ARM matches its literals case-insensitively. */
const SERVICE_PATH = String.raw`^/subscriptions/(?<subscriptionId>[^/]+)/resourceGroups/(?<resourceGroupName>[^/]+)/providers/Microsoft\.ApiManagement/service/(?<serviceName>[^/]+)`;

interface ArmRoute {
  operation: ArmOperation;
  method: 'GET' | 'POST';
  /** The path below the service, as a regular expression source with named groups. */
  below: string;
  /** Whether the operation has a request body (the others ignore whatever is sent). */
  hasBody: boolean;
}

const ARM_ROUTES: readonly ArmRoute[] = [
  { operation: 'ApiManagementService_GetSsoToken', method: 'POST', below: '/getssotoken', hasBody: false },
  { operation: 'Gateway_GenerateToken', method: 'POST', below: '/gateways/(?<gatewayId>[^/]+)/generateToken', hasBody: true },
  { operation: 'Gateway_ListKeys', method: 'POST', below: '/gateways/(?<gatewayId>[^/]+)/listKeys', hasBody: false },
  { operation: 'Gateway_RegenerateKey', method: 'POST', below: '/gateways/(?<gatewayId>[^/]+)/regenerateKey', hasBody: true },
  { operation: 'AuthorizationServer_Get', method: 'GET', below: '/authorizationServers/(?<authsid>[^/]+)', hasBody: false },
];

/** A value, or the error response that stands in its place. */
type Outcome<T> = { ok: true; value: T } | { ok: false; response: EmulatorResponse };

/** A request that passed ARM's checks and reached the API Management resource provider. */
interface ApimCall {
  request: EmulatorRequest;
  service: ServiceState;
  /** The JSON object body; `{}` when none was sent. */
  body: Record<string, unknown>;
}

/**
 * The five Microsoft.ApiManagement operations the broker uses, behind ARM's own checks (bearer
 * token, api-version, throttling, path parameters), as the REST specification and its official
 * examples describe them.
 */
export class ArmEmulator extends HttpsEmulator<ArmEmulatorOperation> {
  private readonly state: ApimState;
  private readonly randomBytes: RandomBytes;
  private readonly verifyBearer: (token: string) => boolean;
  private readonly officialExamples: boolean;
  private readonly throttling: SubscriptionThrottling;
  private readonly gatewayKeysFile: string | undefined;

  constructor(options: ArmEmulatorOptions = {}) {
    super(
      'arm',
      ARM_EMULATOR_OPERATIONS,
      [
        ...ARM_ROUTES.map((route) => ({
          operation: route.operation,
          method: route.method,
          path: new RegExp(`${SERVICE_PATH}${route.below}$`, 'i'),
          handle: (request: EmulatorRequest) => this.serve(route, request),
        })),
        {
          operation: GATEWAY_CONFIGURATION,
          method: 'GET',
          path: new RegExp(`${SERVICE_PATH}/gateways/(?<gatewayId>[^/]+)/configuration$`, 'i'),
          handle: (request: EmulatorRequest) => this.gatewayConfiguration(request),
        },
      ],
      options.clock ?? systemClock,
    );
    this.randomBytes = options.randomBytes ?? cryptoRandomBytes;
    this.verifyBearer = options.verifyBearer ?? (() => true);
    this.officialExamples = options.officialExamples ?? false;
    this.throttling = new SubscriptionThrottling({ ...ARM_SUBSCRIPTION_BUDGETS, ...options.throttling });
    const newKeyPair = this.officialExamples
      ? () => ({ ...EXAMPLE_GATEWAY_KEYS })
      : () => ({ primary: newGatewayKey(this.randomBytes), secondary: newGatewayKey(this.randomBytes) });
    this.gatewayKeysFile = options.gatewayKeysFile;
    const kept = this.gatewayKeysFile ? readStateFile<GatewayKeys>(this.gatewayKeysFile) : undefined;
    this.state = new ApimState(options.seed ?? DEFAULT_ARM_SEED, (service, gatewayId) => kept?.[service]?.[gatewayId] ?? newKeyPair());
    this.saveGatewayKeys();
  }

  /** Whether APIM would accept `token` for the gateway now: signed by a current key and not expired. */
  isTokenValid(service: string, gatewayId: string, token: string): boolean {
    return this.accepts(this.state.serviceNamed(service)?.gateways.get(gatewayId.toLowerCase()), token);
  }

  private accepts(gateway: GatewayState | undefined, token: string): boolean {
    if (!gateway) return false;
    return verifyGatewayToken(gateway.id, token, [gateway.keys.primary, gateway.keys.secondary], this.clock.now());
  }

  /**
   * What a self-hosted gateway calls for its configuration: 200 while its `GatewayKey` token is
   * signed by one of the gateway's current keys and not expired, 401 for anything else (an unknown
   * gateway included, so the answer tells an outsider nothing).
   */
  private gatewayConfiguration(request: EmulatorRequest): EmulatorResponse {
    const service = this.state.findService(
      pathParameter(request, 'subscriptionId'),
      pathParameter(request, 'resourceGroupName'),
      pathParameter(request, 'serviceName'),
    );
    const gateway = typeof service === 'string' ? undefined : service.gateways.get(pathParameter(request, 'gatewayId').toLowerCase());
    const token = /^GatewayKey (\S+)$/.exec(singleHeader(request.headers, 'authorization') ?? '')?.[1];
    if (!gateway || typeof service === 'string' || token === undefined || !this.accepts(gateway, token)) {
      return armErrorResponse(401, 'Unauthorized', 'The gateway key is missing, invalid or expired.');
    }
    const id = `${serviceResourceId(this.state.subscriptionId, this.state.resourceGroup, service.name)}/gateways/${gateway.id}`;
    return { status: 200, body: { id, name: gateway.id, type: 'Microsoft.ApiManagement/service/gateways' } };
  }

  /**
   * A fault answering what ARM answers when `principalObjectId` lacks the operation's RBAC action on
   * the target (`resourceName` is the gateway or authorization server, for operations on one).
   */
  authorizationFailedFault(operation: ArmOperation, principalObjectId: string, target: { service: string; resourceName?: string }): Fault {
    const serviceId = serviceResourceId(this.state.subscriptionId, this.state.resourceGroup, target.service);
    const collection = ARM_OPERATION_COLLECTIONS[operation];
    const scope = collection && target.resourceName ? `${serviceId}/${collection}/${target.resourceName}` : serviceId;
    return { status: 403, body: authorizationFailedBody(principalObjectId, ARM_OPERATION_ACTIONS[operation], scope) };
  }

  protected override errorBody(_status: number, code: string, message: string): unknown {
    return armError(code, message);
  }

  private serve(route: ArmRoute, request: EmulatorRequest): EmulatorResponse {
    const headers: Record<string, string> = {};
    const response = this.checkAndPerform(route, request, headers);
    return { ...response, headers: { ...headers, ...response.headers } };
  }

  /** ARM's checks, then the resource provider's, each in the order the services apply them. */
  private checkAndPerform(route: ArmRoute, request: EmulatorRequest, headers: Record<string, string>): EmulatorResponse {
    const admission = this.admitThroughArm(route, request, headers);
    if (!admission.ok) return admission.response;
    const body = route.hasBody ? readJsonObject(request) : { ok: true as const, value: {} };
    if (!body.ok) return body.response;
    const service = this.resolveService(request);
    if (!service.ok) return service.response;
    return this.perform(route.operation, { request, service: service.value, body: body.value });
  }

  /** Authentication, api-version, throttling (adding the rate-limit header to `headers`) and path parameters. */
  private admitThroughArm(route: ArmRoute, request: EmulatorRequest, headers: Record<string, string>): Outcome<void> {
    const bearer = this.authenticate(request);
    if (!bearer.ok) return bearer;

    const apiVersion = queryParameter(request.url, 'api-version');
    if (apiVersion === undefined) {
      return refusal(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
    }
    if (!(APIM_API_VERSIONS as readonly string[]).includes(apiVersion)) {
      const supported = APIM_API_VERSIONS.join(',');
      return refusal(
        400,
        'InvalidApiVersionParameter',
        `The api-version '${apiVersion}' is invalid. The supported versions are '${supported}'.`,
      );
    }

    const subscriptionId = pathParameter(request, 'subscriptionId');
    const kind: RequestKind = route.method === 'GET' ? 'reads' : 'writes';
    const throttle = this.throttling.admit(kind, bearer.value, subscriptionId);
    if (!throttle.admitted) {
      const message =
        `Number of '${kind === 'reads' ? 'read' : 'write'}' requests for subscription '${subscriptionId}' exceeded. ` +
        `Please try again after '${throttle.retryAfterSeconds}' seconds after additional tokens are available. ` +
        'Refer to https://aka.ms/arm-throttling';
      return refusal(429, 'SubscriptionRequestsThrottled', message, { 'retry-after': String(throttle.retryAfterSeconds) });
    }
    headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = String(throttle.remaining);

    const problems = pathParameterProblems(request.params, apiVersion);
    if (problems.length > 0) return { ok: false, response: validationErrorResponse(problems) };
    return { ok: true, value: undefined };
  }

  private resolveService(request: EmulatorRequest): Outcome<ServiceState> {
    const subscriptionId = pathParameter(request, 'subscriptionId');
    const resourceGroup = pathParameter(request, 'resourceGroupName');
    const serviceName = pathParameter(request, 'serviceName');
    const service = this.state.findService(subscriptionId, resourceGroup, serviceName);
    switch (service) {
      case 'subscription':
        return refusal(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
      case 'resourceGroup':
        return refusal(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`);
      case 'service':
        return refusal(
          404,
          'ResourceNotFound',
          `The Resource 'Microsoft.ApiManagement/service/${serviceName}' under resource group '${resourceGroup}' was not found. ` +
            'For more details please go to https://aka.ms/ARMResourceNotFoundFix',
        );
      default:
        return { ok: true, value: service };
    }
  }

  private perform(operation: ArmOperation, call: ApimCall): EmulatorResponse {
    switch (operation) {
      case 'ApiManagementService_GetSsoToken':
        return this.getSsoToken(call);
      case 'Gateway_GenerateToken':
        return this.generateToken(call);
      case 'Gateway_ListKeys':
        return this.listKeys(call);
      case 'Gateway_RegenerateKey':
        return this.regenerateKey(call);
      case 'AuthorizationServer_Get':
        return this.getAuthorizationServer(call);
    }
  }

  private getSsoToken({ service }: ApimCall): EmulatorResponse {
    const body = this.officialExamples
      ? EXAMPLE_SSO_TOKEN
      : { redirectUri: ssoRedirectUri(service.name, this.clock.now(), this.randomBytes) };
    return { status: 200, body };
  }

  private generateToken(call: ApimCall): EmulatorResponse {
    const checked = checkGatewayTokenRequest(call.body, this.clock.now());
    if (!checked.ok) return validationErrorResponse(checked.problems);
    return this.withGateway(call, (gateway) => {
      const { keyType, expiry } = checked.value;
      const body = this.officialExamples ? EXAMPLE_GATEWAY_TOKEN : { value: signGatewayToken(gateway.id, expiry, gateway.keys[keyType]) };
      return { status: 200, body };
    });
  }

  private listKeys(call: ApimCall): EmulatorResponse {
    return this.withGateway(call, (gateway) => ({ status: 200, headers: { etag: entityTag(gateway.keys) }, body: { ...gateway.keys } }));
  }

  /** Every token signed with the old key stops validating, as APIM documents. */
  private regenerateKey(call: ApimCall): EmulatorResponse {
    const keyType = checkKeyType(call.body);
    if (!keyType.ok) return validationErrorResponse(keyType.problems);
    return this.withGateway(call, (gateway) => {
      gateway.keys[keyType.value] = newGatewayKey(this.randomBytes);
      this.saveGatewayKeys();
      return { status: 204 };
    });
  }

  private saveGatewayKeys(): void {
    if (this.gatewayKeysFile) writeStateFile(this.gatewayKeysFile, this.state.gatewayKeys());
  }

  private getAuthorizationServer({ request, service }: ApimCall): EmulatorResponse {
    const contract = service.authorizationServers.get(pathParameter(request, 'authsid').toLowerCase());
    if (!contract) return armErrorResponse(404, 'ResourceNotFound', 'AuthorizationServer not found.');
    return { status: 200, headers: { etag: entityTag(contract) }, body: contract };
  }

  private withGateway({ request, service }: ApimCall, act: (gateway: GatewayState) => EmulatorResponse): EmulatorResponse {
    const gateway = service.gateways.get(pathParameter(request, 'gatewayId').toLowerCase());
    return gateway ? act(gateway) : armErrorResponse(404, 'ResourceNotFound', 'Gateway not found.');
  }

  /** The bearer token, or ARM's 401 with its challenge. */
  private authenticate(request: EmulatorRequest): Outcome<string> {
    const authorization = request.headers.authorization;
    if (!authorization) {
      return unauthenticated(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      );
    }
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (!token) {
      return unauthenticated(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        "The authentication failed because of invalid format of 'Authorization' header.",
      );
    }
    if (!this.verifyBearer(token)) {
      return unauthenticated('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    }
    return { ok: true, value: token };
  }

  /** ARM's tracing headers; a caller's `x-ms-client-request-id` and `x-ms-correlation-request-id` come back. */
  protected override commonHeaders(requestHeaders: IncomingHttpHeaders): Record<string, string> {
    const clientRequestId = singleHeader(requestHeaders, 'x-ms-client-request-id');
    const routingTimestamp = this.clock
      .now()
      .toISOString()
      .replace(/[-:]|\.\d+/g, '');
    return {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': singleHeader(requestHeaders, 'x-ms-correlation-request-id') ?? randomUUID(),
      // ARM's form is `{region}:{UTC timestamp}:{uuid}`.
      'x-ms-routing-request-id': `LOCAL:${routingTimestamp}:${randomUUID()}`,
      ...(clientRequestId ? { 'x-ms-client-request-id': clientRequestId } : {}),
    };
  }
}

function refusal(status: number, code: string, message: string, headers?: Record<string, string>): Outcome<never> {
  return { ok: false, response: armErrorResponse(status, code, message, headers) };
}

function unauthenticated(code: string, message: string, challengeDescription: string): Outcome<never> {
  const challenge = `Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="${challengeDescription}"`;
  return refusal(401, code, message, { 'www-authenticate': challenge });
}

/** ARM reads query parameter names case-insensitively; `URLSearchParams` has already decoded `api%2Dversion`. */
function queryParameter(url: URL, name: string): string | undefined {
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === name) return value;
  return undefined;
}

/** A named group every route's pattern has; its absence is a bug in the route table. */
function pathParameter(request: EmulatorRequest, name: string): string {
  const value = request.params[name];
  if (value === undefined) throw new Error(`route has no path parameter ${name}`);
  return value;
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The body as a JSON object, or ARM's 415/400 for a body of another media type or one that does not deserialize. */
function readJsonObject(request: EmulatorRequest): Outcome<Record<string, unknown>> {
  if (request.rawBody.length === 0) return { ok: true, value: {} };
  const contentType = singleHeader(request.headers, 'content-type') ?? '';
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    const message = `The content media type '${contentType}' is not supported. Only 'application/json' is supported.`;
    return refusal(415, 'UnsupportedMediaType', message);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(request.rawBody.toString('utf8'));
  } catch (error) {
    return invalidRequestContent((error as Error).message);
  }
  const isObject = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed);
  return isObject
    ? { ok: true, value: parsed as Record<string, unknown> }
    : invalidRequestContent('The request content must be a JSON object.');
}

function invalidRequestContent(reason: string): Outcome<never> {
  const message = `The request content was invalid and could not be deserialized: '${reason}'.`;
  return refusal(400, 'InvalidRequestContent', message);
}

/** A strong ETag that changes exactly when the content does. */
function entityTag(content: unknown): string {
  return `"${createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16)}"`;
}
