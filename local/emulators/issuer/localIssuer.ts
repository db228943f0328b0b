import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { type Clock, systemClock } from '../../../shared/time/clock';
import { type EmulatorRequest, type EmulatorResponse, HttpsEmulator } from '../httpsEmulator';
import { type AccessTokenVersion, accessTokenClaims } from './accessTokenClaims';
import { issuerUrl, jwksUrl, openIdConfiguration, openIdConfigurationUrl } from './openIdConfiguration';
import { generateSigningKey, SIGNING_ALGORITHM, type SigningKey, SigningKeyRing } from './signingKeys';

export type { AccessTokenVersion } from './accessTokenClaims';
export { algNoneToken, foreignKeyToken, publicKeyHmacToken, tamperedToken } from './badTokens';

export const ISSUER_OPERATIONS = ['OpenIdConfiguration', 'Jwks'] as const;
export type IssuerOperation = (typeof ISSUER_OPERATIONS)[number];

/** The tenant of local runs and tests; like the local subscription id, obviously not a real one. */
export const LOCAL_TENANT_ID = '11111111-1111-1111-1111-111111111111';

/** The calling application a minted token names unless told otherwise (client id and service principal object id). */
export const LOCAL_CALLER = {
  appId: '22222222-2222-2222-2222-222222222222',
  oid: '33333333-3333-3333-3333-333333333333',
} as const;

/** The user a delegated token names unless told otherwise (object id and sign-in name). */
export const LOCAL_USER = {
  oid: '66666666-6666-6666-6666-666666666666',
  username: 'user@local.test',
} as const;

/** The delegated scope the broker's app registration exposes by default (`BROKER_AUTH_DELEGATED_SCOPE`). */
export const DEFAULT_DELEGATED_SCOPES: readonly string[] = ['access_as_user'];

/** Entra's default for app-only access tokens is about an hour. */
export const DEFAULT_TOKEN_LIFETIME_SECONDS = 3600;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface LocalIssuerOptions {
  /** Default: {@link LOCAL_TENANT_ID}. */
  tenantId?: string;
  /** The clock `iat`, `nbf` and `exp` are counted from. */
  clock?: Clock;
}

export interface MintTokenOptions {
  /** App role values, as Entra puts the caller's assigned roles in `roles`. */
  roles: readonly string[];
  /** `aud`: the broker's application ID URI (typical of v1) or client id (typical of v2). */
  audience: string;
  /** The caller's client id (`azp` in v2, `appid` in v1). Default: {@link LOCAL_CALLER}. */
  appId?: string;
  /** The caller's service principal object id (`oid` and `sub`), or the user's for a delegated token. Default: {@link LOCAL_CALLER}, {@link LOCAL_USER}. */
  oid?: string;
  /**
   * A delegated token, as a Logic Apps custom connector gets when a user signs in: `scp`, a user
   * `oid`, a pairwise `sub`, no `idtyp`. Default: an app-only token (`idtyp: app`, no `scp`).
   */
  delegated?: boolean;
  /** The delegated token's scopes (`scp`); only with `delegated`. Default: {@link DEFAULT_DELEGATED_SCOPES}. */
  scopes?: readonly string[];
  /** The delegated token's user sign-in name; only with `delegated`. Default: {@link LOCAL_USER}. */
  username?: string;
  name?: string;
  /** `tid` and the tenant in `iss`; another tenant's token is still signed by a published key. Default: the issuer's tenant. */
  tenant?: string;
  /** Default 2. */
  version?: AccessTokenVersion;
  /** A positive whole number of seconds from `issuedAt` to `exp`. Default: {@link DEFAULT_TOKEN_LIFETIME_SECONDS}. */
  lifetimeSeconds?: number;
  /** Default: `issuedAt`. */
  notBefore?: Date;
  /** Default: the issuer's clock now; set it in the past for an expired token. */
  issuedAt?: Date;
  /** Sign with this published key instead of the newest. */
  kid?: string;
  /** Added last, so they override; an `undefined` value removes that claim. */
  extraClaims?: Record<string, unknown>;
}

/**
 * An Entra ID-style issuer of app-only and delegated access tokens: the tenant's v2.0 OpenID configuration and
 * JWKS over HTTPS, and RS256 tokens with Entra's v1 or v2 claims, signed by keys made at construction.
 */
export class LocalIssuer extends HttpsEmulator<IssuerOperation> {
  readonly tenantId: string;
  private readonly keyRing = new SigningKeyRing();
  /** Key generation is asynchronous; chaining each addition keeps the newest key the one added last. */
  private keysSettled: Promise<void> = Promise.resolve();

  constructor(options: LocalIssuerOptions = {}) {
    super(
      'issuer',
      ISSUER_OPERATIONS,
      [
        {
          operation: 'OpenIdConfiguration',
          method: 'GET',
          path: /^\/(?<tenant>[^/]+)\/v2\.0\/\.well-known\/openid-configuration$/,
          handle: (request) => this.serveOpenIdConfiguration(request),
        },
        {
          operation: 'Jwks',
          method: 'GET',
          path: /^\/(?<tenant>[^/]+)\/discovery\/v2\.0\/keys$/,
          handle: (request) => this.serveJwks(request),
        },
      ],
      options.clock ?? systemClock,
    );
    const tenantId = options.tenantId ?? LOCAL_TENANT_ID;
    if (!GUID.test(tenantId)) throw new Error(`The local issuer's tenant id must be a GUID, got ${tenantId}`);
    this.tenantId = tenantId.toLowerCase();
    void this.addSigningKey();
  }

  /** The `iss` of this issuer's tokens of `version` (only while running: it contains the emulator's URL). */
  issuer(version: AccessTokenVersion = 2, tenant: string = this.tenantId): string {
    return issuerUrl(this.url, tenant, version);
  }

  get openIdConfigurationUrl(): string {
    return openIdConfigurationUrl(this.url, this.tenantId);
  }

  get jwksUri(): string {
    return jwksUrl(this.url, this.tenantId);
  }

  /** Publishes a new key that signs from now on; earlier keys stay published. Returns its kid. */
  async rotateKey(): Promise<string> {
    return (await this.addSigningKey()).kid;
  }

  /** Withdraws a key from the JWKS (tokens it signed stop verifying); false when no such key is published. */
  removeKey(kid: string): boolean {
    return this.keyRing.remove(kid);
  }

  /** The SPKI PEM of the named key or the newest, e.g. for {@link publicKeyHmacToken}. */
  async publicKeyPem(kid?: string): Promise<string> {
    await this.keysSettled;
    return this.keyRing.signingKey(kid).publicKeyPem;
  }

  /** An RS256 app-only or delegated access token as Entra issues it; only while running, since `iss` contains the emulator's URL. */
  async mintToken(options: MintTokenOptions): Promise<string> {
    const lifetimeSeconds = options.lifetimeSeconds ?? DEFAULT_TOKEN_LIFETIME_SECONDS;
    if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds <= 0) {
      throw new RangeError(`lifetimeSeconds must be a positive whole number, got ${lifetimeSeconds}`);
    }
    if (!options.delegated && (options.scopes !== undefined || options.username !== undefined)) {
      throw new RangeError('scopes and username apply to delegated tokens only');
    }
    const scopes = options.scopes ?? DEFAULT_DELEGATED_SCOPES;
    // Entra issues no delegated token without a scope; a scope with a space would read as two.
    if (options.delegated && (scopes.length === 0 || scopes.some((scope) => scope === '' || /\s/.test(scope)))) {
      throw new RangeError('a delegated token needs at least one scope, each without spaces');
    }
    const version = options.version ?? 2;
    const tenant = options.tenant ?? this.tenantId;
    const issuedAt = options.issuedAt ?? this.clock.now();
    const claims = accessTokenClaims({
      version,
      issuer: this.issuer(version, tenant),
      tenant,
      audience: options.audience,
      appId: options.appId ?? LOCAL_CALLER.appId,
      oid: options.oid ?? (options.delegated ? LOCAL_USER.oid : LOCAL_CALLER.oid),
      roles: options.roles,
      ...(options.name === undefined ? {} : { name: options.name }),
      ...(options.delegated ? { delegated: { scopes, username: options.username ?? LOCAL_USER.username } } : {}),
      issuedAt,
      notBefore: options.notBefore ?? issuedAt,
      lifetimeSeconds,
      ...(options.extraClaims === undefined ? {} : { extraClaims: options.extraClaims }),
    });
    await this.keysSettled;
    const key = this.keyRing.signingKey(options.kid);
    return new SignJWT(claims).setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: 'JWT', kid: key.kid }).sign(key.privateKey);
  }

  protected override errorBody(status: number, _code: string, message: string): unknown {
    return this.entraError(status >= 500 ? 'server_error' : 'invalid_request', message);
  }

  private addSigningKey(): Promise<SigningKey> {
    const added = this.keysSettled.then(async () => {
      const key = await generateSigningKey();
      this.keyRing.add(key);
      return key;
    });
    this.keysSettled = added.then(() => undefined);
    return added;
  }

  private serveOpenIdConfiguration(request: EmulatorRequest): EmulatorResponse {
    const unknownTenant = this.refuseUnknownTenant(request);
    if (unknownTenant) return unknownTenant;
    return { status: 200, body: openIdConfiguration(this.url, this.tenantId) };
  }

  private async serveJwks(request: EmulatorRequest): Promise<EmulatorResponse> {
    const unknownTenant = this.refuseUnknownTenant(request);
    if (unknownTenant) return unknownTenant;
    await this.keysSettled;
    return { status: 200, body: { keys: this.keyRing.publicJwks() } };
  }

  /** Entra's answer for a tenant it does not know; tenant GUIDs compare case-insensitively. */
  private refuseUnknownTenant(request: EmulatorRequest): EmulatorResponse | undefined {
    const tenant = request.params.tenant ?? '';
    if (tenant.toLowerCase() === this.tenantId) return undefined;
    return {
      status: 400,
      body: this.entraError(
        'invalid_tenant',
        `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
        [90002],
      ),
    };
  }

  /** Entra's OAuth error body. */
  private entraError(error: string, description: string, errorCodes: number[] = []): Record<string, unknown> {
    const traceId = randomUUID();
    const correlationId = randomUUID();
    const timestamp = this.clock
      .now()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return {
      error,
      error_description: `${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
      error_codes: errorCodes,
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
    };
  }
}
