import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { type Clock, systemClock } from '../../../shared/time/clock';
import { type EmulatorRequest, type EmulatorResponse, HttpsEmulator } from '../httpsEmulator';
import type { LocalTlsMaterial } from '../tls';
import {
  badParameter,
  deletedSecretNotFound,
  keyVaultError,
  keyVaultErrorResponse,
  secretNotFound,
  throttledError,
} from './keyVaultErrors';
import { currentVersion, deletedSecretBundle, latestItem, type SecretItem, secretBundle, versionItem } from './secretBundles';
import { checkMaxResults, checkSetSecretBody, checkUpdateSecretBody, SECRET_NAME_PATTERN } from './secretRequestRules';
import { type SecretRecord, SecretStore, type SecretVersionRecord } from './secretStore';

export type { KeyVaultErrorBody } from './keyVaultErrors';
export type { DeletedSecretBundle, SecretBundle, SecretItem } from './secretBundles';
export { MAX_SECRET_VALUE_BYTES } from './secretRequestRules';

/** The emulated operations, named as in the Key Vault secrets REST reference. */
export const KEY_VAULT_OPERATIONS = [
  'SetSecret',
  'GetSecret',
  'GetSecretVersions',
  'GetSecrets',
  'UpdateSecret',
  'DeleteSecret',
  'GetDeletedSecret',
  'PurgeDeletedSecret',
] as const;

export type KeyVaultOperation = (typeof KEY_VAULT_OPERATIONS)[number];

export interface KeyVaultEmulatorOptions {
  /** The clock for `created`, `updated`, deletion dates and the end of soft-delete retention. */
  clock?: Clock;
  /** Decides whether a bearer token is accepted; default: any non-empty token. */
  verifyBearer?: (token: string) => boolean;
  /** The tenant the 401 challenge names; the client asks its credential for a token from it. */
  tenantId?: string;
  /** A JSON file the vault is loaded from at every start and written to on every change. */
  stateFile?: string;
}

const DEFAULT_TENANT_ID = '00000000-0000-0000-0000-000000000000';
/** A build number of the form Key Vault reports; clients only log it. */
const SERVICE_VERSION = '1.9.2750.1';

interface KeyVaultRoute {
  operation: KeyVaultOperation;
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  /** A path regular expression source with named groups; Key Vault matches its literals case-insensitively. */
  path: string;
}

// Separate routes with and without a version rather than an optional group: the shared matcher
// decodes a group that did not participate as the string "undefined". The versions listing comes
// before the versioned get, whose pattern would also match it.
const KEY_VAULT_ROUTES: readonly KeyVaultRoute[] = [
  { operation: 'SetSecret', method: 'PUT', path: '/secrets/(?<name>[^/]+)/?' },
  { operation: 'GetSecretVersions', method: 'GET', path: '/secrets/(?<name>[^/]+)/versions/?' },
  // `getSecret(name)` asks for `/secrets/{name}/`: an empty version means the current one.
  { operation: 'GetSecret', method: 'GET', path: '/secrets/(?<name>[^/]+)/?' },
  { operation: 'GetSecret', method: 'GET', path: '/secrets/(?<name>[^/]+)/(?<version>[^/]+)' },
  { operation: 'GetSecrets', method: 'GET', path: '/secrets/?' },
  { operation: 'UpdateSecret', method: 'PATCH', path: '/secrets/(?<name>[^/]+)/?' },
  { operation: 'UpdateSecret', method: 'PATCH', path: '/secrets/(?<name>[^/]+)/(?<version>[^/]+)' },
  { operation: 'DeleteSecret', method: 'DELETE', path: '/secrets/(?<name>[^/]+)/?' },
  { operation: 'GetDeletedSecret', method: 'GET', path: '/deletedsecrets/(?<name>[^/]+)/?' },
  { operation: 'PurgeDeletedSecret', method: 'DELETE', path: '/deletedsecrets/(?<name>[^/]+)/?' },
];

/** A value, or the error response that stands in its place. */
type Outcome<T> = { ok: true; value: T } | { ok: false; response: EmulatorResponse };

/** A request that passed authentication and the api-version and name checks. */
interface SecretCall {
  request: EmulatorRequest;
  /** The secret name from the path; empty for `GetSecrets`. */
  name: string;
  /** The version from the path; empty means the current version. */
  version: string;
  apiVersion: string;
}

/**
 * The Key Vault secrets data plane, enough for the real `SecretClient`: the bearer challenge,
 * versions, soft delete and purge, paging, and Key Vault's error shapes, in memory or in a JSON file.
 */
export class KeyVaultEmulator extends HttpsEmulator<KeyVaultOperation> {
  private readonly verifyBearer: (token: string) => boolean;
  private readonly tenantId: string;
  private readonly store: SecretStore;
  private requestsWithoutToken = 0;

  constructor(options: KeyVaultEmulatorOptions = {}) {
    super(
      'keyvault',
      KEY_VAULT_OPERATIONS,
      KEY_VAULT_ROUTES.map((route) => ({
        operation: route.operation,
        method: route.method,
        path: new RegExp(`^${route.path}$`, 'i'),
        handle: (request: EmulatorRequest) => this.serve(route.operation, request),
      })),
      options.clock ?? systemClock,
    );
    this.verifyBearer = options.verifyBearer ?? (() => true);
    this.tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.store = new SecretStore(() => this.nowSeconds(), options.stateFile);
  }

  /** Loads the state file, if any, so another emulator's vault carries over. */
  override async start(tls: LocalTlsMaterial, port?: number): Promise<string> {
    this.store.load();
    return super.start(tls, port);
  }

  /** Requests that came without a bearer token and got the 401 challenge (a client's first request does). */
  unauthenticatedRequests(): number {
    return this.requestsWithoutToken;
  }

  override resetCalls(): void {
    super.resetCalls();
    this.requestsWithoutToken = 0;
  }

  /** Throttling faults get Key Vault's own 429 body; other statuses keep the code they are given. */
  protected override errorBody(status: number, code: string, message: string): unknown {
    return status === 429 ? throttledError() : keyVaultError(code, message);
  }

  protected override commonHeaders(): Record<string, string> {
    return {
      'x-ms-request-id': randomUUID(),
      'x-ms-keyvault-service-version': SERVICE_VERSION,
      'x-ms-keyvault-region': 'local',
    };
  }

  private serve(operation: KeyVaultOperation, request: EmulatorRequest): EmulatorResponse {
    const admission = this.admit(request);
    if (!admission.ok) return admission.response;
    const call = admission.value;
    switch (operation) {
      case 'SetSecret':
        return this.setSecret(call);
      case 'GetSecret':
        return this.getSecret(call);
      case 'GetSecretVersions':
        return this.getSecretVersions(call);
      case 'GetSecrets':
        return this.getSecrets(call);
      case 'UpdateSecret':
        return this.updateSecret(call);
      case 'DeleteSecret':
        return this.deleteSecret(call);
      case 'GetDeletedSecret':
        return this.getDeletedSecret(call);
      case 'PurgeDeletedSecret':
        return this.purgeDeletedSecret(call);
    }
  }

  /** Authentication first: the client's body-less first request must get the challenge, not a validation error. */
  private admit(request: EmulatorRequest): Outcome<SecretCall> {
    const authorization = singleHeader(request.headers, 'authorization') ?? '';
    const token = /^Bearer +(\S+)$/i.exec(authorization)?.[1];
    if (token === undefined) {
      this.requestsWithoutToken += 1;
      return { ok: false, response: this.challenge('AKV10000: Request is missing a Bearer or PoP token.') };
    }
    if (!this.verifyBearer(token)) return { ok: false, response: this.challenge('The access token is invalid.') };

    // The client sends `api%2Dversion`; URLSearchParams has already decoded it.
    const apiVersion = queryParameter(request.url, 'api-version');
    if (!apiVersion) return { ok: false, response: badParameter('The api-version query parameter is required.') };

    const name = request.params.name ?? '';
    if (request.params.name !== undefined && !SECRET_NAME_PATTERN.test(name)) {
      return { ok: false, response: badParameter(`The request URI contains an invalid name: ${name}`) };
    }
    return { ok: true, value: { request, name, version: request.params.version ?? '', apiVersion } };
  }

  private challenge(message: string): EmulatorResponse {
    const challenge = `Bearer authorization="https://login.microsoftonline.com/${this.tenantId}", resource="https://vault.azure.net"`;
    return keyVaultErrorResponse(401, 'Unauthorized', message, { headers: { 'www-authenticate': challenge } });
  }

  /** Every set creates a version, even with the same value; a deleted name stays taken until it is purged. */
  private setSecret({ request, name }: SecretCall): EmulatorResponse {
    const parameters = checkSetSecretBody(request.rawBody);
    if (!parameters.ok) return badParameter(parameters.message);
    if (this.store.deleted(name)) {
      return keyVaultErrorResponse(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; ` +
          'in this state, the secret can only be recovered or purged.',
      );
    }
    const created = this.nowSeconds();
    const version = { version: randomBytes(16).toString('hex'), value: parameters.value.value, enabled: true, created, updated: created };
    const secret = this.store.addVersion(name, { ...version, ...parameters.value.changes });
    return { status: 200, body: secretBundle(this.url, secret, currentVersion(secret), true) };
  }

  /**
   * Key Vault serves a secret outside its `nbf`/`exp` window (its documentation: for tests and for
   * recovery), so neither is checked here; only a disabled version is refused.
   */
  private getSecret(call: SecretCall): EmulatorResponse {
    return this.withVersion(call, (secret, version) => {
      if (!version.enabled) {
        return keyVaultErrorResponse(403, 'Forbidden', 'Operation get is not allowed on a disabled secret.', {
          innerCode: 'SecretDisabled',
        });
      }
      return { status: 200, body: secretBundle(this.url, secret, version, true) };
    });
  }

  /** An unknown or deleted name has no versions: an empty list, not a 404, as Key Vault answers. */
  private getSecretVersions(call: SecretCall): EmulatorResponse {
    const secret = this.store.active(call.name);
    const items = secret ? secret.versions.map((version) => versionItem(this.url, secret, version)) : [];
    return this.page(call, items);
  }

  private getSecrets(call: SecretCall): EmulatorResponse {
    return this.page(
      call,
      this.store.listActive().map((secret) => latestItem(this.url, secret)),
    );
  }

  /**
   * Changes only what the body names; a disabled version can be updated (that is how it is enabled again).
   * The client always names a version; an empty one updates the current version, as it means the current one for `GetSecret`.
   */
  private updateSecret(call: SecretCall): EmulatorResponse {
    const changes = checkUpdateSecretBody(call.request.rawBody);
    if (!changes.ok) return badParameter(changes.message);
    return this.withVersion(call, (secret, version) => {
      this.store.updateVersion(version, changes.value);
      return { status: 200, body: secretBundle(this.url, secret, version, false) };
    });
  }

  private deleteSecret({ name }: SecretCall): EmulatorResponse {
    const secret = this.store.active(name);
    if (!secret) return secretNotFound(name);
    return { status: 200, body: deletedSecretBundle(this.url, this.store.softDelete(secret)) };
  }

  private getDeletedSecret({ name }: SecretCall): EmulatorResponse {
    const secret = this.store.deleted(name);
    return secret ? { status: 200, body: deletedSecretBundle(this.url, secret) } : deletedSecretNotFound(name);
  }

  private purgeDeletedSecret({ name }: SecretCall): EmulatorResponse {
    if (!this.store.deleted(name)) return deletedSecretNotFound(name);
    this.store.purge(name);
    return { status: 204 };
  }

  private withVersion(
    { name, version }: SecretCall,
    act: (secret: SecretRecord, version: SecretVersionRecord) => EmulatorResponse,
  ): EmulatorResponse {
    const secret = this.store.active(name);
    if (!secret) return secretNotFound(name, version || undefined);
    // Versions are made lowercase and, like names, match in any case.
    const found = version ? secret.versions.find((candidate) => candidate.version === version.toLowerCase()) : currentVersion(secret);
    return found ? act(secret, found) : secretNotFound(name, version);
  }

  /**
   * One page of a listing. Key Vault pages by `maxresults` (25 at most, and by default) and links the
   * next page with an opaque `$skiptoken`; here the token is the offset of the page's first item.
   */
  private page({ request, apiVersion }: SecretCall, items: SecretItem[]): EmulatorResponse {
    const pageSize = checkMaxResults(queryParameter(request.url, 'maxresults'));
    if (!pageSize.ok) return badParameter(pageSize.message);
    const skipToken = queryParameter(request.url, '$skiptoken');
    const offset = skipToken === undefined ? 0 : Number(Buffer.from(skipToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(offset) || offset < 0) return badParameter(`Invalid $skiptoken: '${skipToken}'.`);

    const end = offset + pageSize.value;
    const nextLink =
      end < items.length
        ? `${this.url}${request.url.pathname}?api-version=${encodeURIComponent(apiVersion)}` +
          `&$skiptoken=${Buffer.from(String(end)).toString('base64url')}&maxresults=${pageSize.value}`
        : null;
    return { status: 200, body: { value: items.slice(offset, end), nextLink } };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}

/** Key Vault reads query parameter names case-insensitively. */
function queryParameter(url: URL, name: string): string | undefined {
  for (const [key, value] of url.searchParams) if (key.toLowerCase() === name) return value;
  return undefined;
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
