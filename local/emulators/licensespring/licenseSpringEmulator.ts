import { createSign, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { type Clock, systemClock } from '../../../shared/time/clock';
import {
  AUTHORIZATION_PARAMETERS,
  parseAuthorizationHeader,
  SIGNED_HEADERS,
  SIGNING_ALGORITHM,
  sign,
} from '../../../shared/upstreams/licensespring/signing';
import { type EmulatorRequest, type EmulatorResponse, HttpsEmulator } from '../httpsEmulator';

/**
 * The LicenseSpring License API's `GET /api/v4/sso_url`, as its documentation describes it:
 * https://docs.licensespring.com/license-api/single-sign-on-url (request and errors),
 * .../license-api-authorization/api-key-authorization (Date window, Authorization checks, error codes),
 * .../license-api-authorization/response-signature-v2 (the `LicenseSignature` header),
 * .../license-api/error-responses (`{status, code, message}` and the generic codes).
 *
 * Statuses: the vendor documents every authorization error (date_header_diff,
 * authorization_invalid_headers, hmac_required, signature_mismatch, authorization_missing_params,
 * invalid_api_key) as 400, so the emulator answers 400 for all of them rather than 401/403; the SDK
 * error table's 401 for signature_mismatch disagrees with the API's own page, and a broker must map
 * them by code anyway.
 */

export type LicenseSpringOperation = 'SsoUrl';

export interface LicenseSpringApiKey {
  apiKey: string;
  sharedKey: string;
}

export interface LicenseSpringProduct {
  customerAccounts: string[];
}

export interface LicenseSpringEmulatorOptions {
  /** Default: one key pair generated at construction. */
  apiKeys?: LicenseSpringApiKey[];
  /** Product code → product. Default: the local sample's product `demo` with customer account `acme`. */
  products?: Record<string, LicenseSpringProduct>;
  /** The clock the `Date` window is measured against. */
  clock?: Clock;
}

/** What the next successful response's `LicenseSignature` should be, to test a client's verification. */
export type SignatureTamper = 'corrupt' | 'omit';

export interface SsoUrlResponse {
  url: string;
  openid_configuration: Record<string, string>;
  alternate_urls: string[];
}

export const DEFAULT_PRODUCTS: Readonly<Record<string, LicenseSpringProduct>> = {
  demo: { customerAccounts: ['acme'] },
};

/** "The server allows timestamps that are up to 15 minutes old"; the same margin is allowed ahead for clock skew. */
const DATE_WINDOW_MS = 15 * 60 * 1000;

// RFC 7231 IMF-fixdate, the only form the vendor documents; other forms Date.parse accepts are refused.
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

const REQUIRED_QUERY_PARAMETERS = ['product', 'customer_account_code'] as const;
// The endpoint page documents exactly these; the vendor SDK's schema also lists bundle_code and
// redirect_uri, which the broker never sends, so the emulator stays with the documented set.
const ALLOWED_QUERY_PARAMETERS: ReadonlySet<string> = new Set([...REQUIRED_QUERY_PARAMETERS, 'response_type']);
const RESPONSE_TYPES: ReadonlySet<string> = new Set(['code', 'token']);

const AUTH_HOST = 'https://auth.licensespring.com';
const SSO_REDIRECT_URI = 'https://saas.licensespring.com/sso/callback';

// The base class reports its own conditions with ARM-style codes; the License API spells them like this.
const VENDOR_CODES: Readonly<Record<string, string>> = {
  NotFound: 'not_found',
  InternalError: 'internal_error',
};

/** Every error this endpoint documents is a 400. */
const ERROR_STATUS = 400;

class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LicenseSpringEmulator extends HttpsEmulator<LicenseSpringOperation> {
  readonly apiKeys: readonly LicenseSpringApiKey[];
  readonly products: Readonly<Record<string, LicenseSpringProduct>>;
  /** SPKI PEM (`-----BEGIN PUBLIC KEY-----`), the form the vendor SDK's `publicKey` option and prod.pub use. */
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;
  private signatureTamper: SignatureTamper | undefined;

  constructor(options: LicenseSpringEmulatorOptions = {}) {
    super(
      'licensespring',
      ['SsoUrl'],
      [{ operation: 'SsoUrl', method: 'GET', path: /^\/api\/v4\/sso_url\/?$/, handle: (request) => this.ssoUrl(request) }],
      options.clock ?? systemClock,
    );
    this.apiKeys = options.apiKeys ?? [generateApiKey()];
    this.products = options.products ?? DEFAULT_PRODUCTS;
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.privateKey = privateKey;
  }

  /** The first API key: what the local broker configuration is built from. */
  get apiKey(): string {
    return this.firstApiKey().apiKey;
  }

  get sharedKey(): string {
    return this.firstApiKey().sharedKey;
  }

  /** Applies to the next 200 only; error responses carry no signature. */
  tamperNextSignature(tamper: SignatureTamper = 'corrupt'): void {
    this.signatureTamper = tamper;
  }

  override clearFaults(): void {
    super.clearFaults();
    this.signatureTamper = undefined;
  }

  protected errorBody(status: number, code: string, message: string): unknown {
    return { status, code: VENDOR_CODES[code] ?? code, message };
  }

  private firstApiKey(): LicenseSpringApiKey {
    const first = this.apiKeys[0];
    if (!first) throw new Error('The LicenseSpring emulator has no API key');
    return first;
  }

  private ssoUrl(request: EmulatorRequest): EmulatorResponse {
    try {
      this.authorize(request);
      const { product, customerAccountCode, responseType } = this.readQuery(request.url.searchParams);
      return this.signedResponse(ssoUrlBody(customerAccountCode, product, responseType));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      return { status: ERROR_STATUS, body: this.errorBody(ERROR_STATUS, error.code, error.message) };
    }
  }

  private authorize(request: EmulatorRequest): void {
    const date = headerValue(request, 'date');
    const authorization = headerValue(request, 'authorization');
    if (date === undefined || authorization === undefined) {
      const missing = [date === undefined ? ['Date'] : [], authorization === undefined ? ['Authorization'] : []].flat();
      throw new ApiError('missing_headers', `Some headers are missing: ${missing.join(', ')}`);
    }
    this.checkDateWindow(date);

    const parameters = parseAuthorizationHeader(authorization);
    if (!parameters) throw new ApiError('authorization_invalid_headers', 'Provided Authorization header is malformed');
    const { algorithm, headers, signature, apikey } = parameters;
    if (!algorithm || !headers || !signature || !apikey) {
      const missing = AUTHORIZATION_PARAMETERS.filter((name) => !parameters[name]);
      throw new ApiError('authorization_missing_params', `Some parameters are missing in the authorization: ${missing.join(', ')}`);
    }
    if (algorithm.toLowerCase() !== SIGNING_ALGORITHM) throw new ApiError('hmac_required', 'hmac-sha256 is the required algorithm');
    if (headers.toLowerCase() !== SIGNED_HEADERS)
      throw new ApiError('authorization_invalid_headers', 'Invalid headers value in authorization');

    const key = this.apiKeys.find((candidate) => candidate.apiKey === apikey);
    if (!key) throw new ApiError('invalid_api_key', 'Provided api key is not valid');
    if (!sameText(signature, sign(key.sharedKey, date))) throw new ApiError('signature_mismatch', 'Signature mismatch');
  }

  private checkDateWindow(date: string): void {
    const sent = Date.parse(date);
    if (!IMF_FIXDATE.test(date) || Number.isNaN(sent)) {
      throw new ApiError('date_header_diff', 'Date header must be an RFC 7231 date in GMT');
    }
    if (Math.abs(this.clock.now().getTime() - sent) > DATE_WINDOW_MS) {
      throw new ApiError('date_header_diff', 'Date header differs from the server time by more than 15 minutes');
    }
  }

  private readQuery(query: URLSearchParams): { product: string; customerAccountCode: string; responseType: string } {
    const names = [...query.keys()];
    const unknown = names.filter((name) => !ALLOWED_QUERY_PARAMETERS.has(name));
    if (unknown.length > 0) {
      throw new ApiError('validation_error', `querystring must NOT have additional properties: ${[...new Set(unknown)].join(', ')}`);
    }
    const repeated = names.filter((name, index) => names.indexOf(name) !== index);
    if (repeated.length > 0) {
      throw new ApiError('validation_error', `querystring parameters must not repeat: ${[...new Set(repeated)].join(', ')}`);
    }
    const product = query.get('product');
    const customerAccountCode = query.get('customer_account_code');
    if (!product || !customerAccountCode) {
      const missing = REQUIRED_QUERY_PARAMETERS.filter((name) => !query.get(name));
      throw new ApiError('missing_parameters', `Some parameters are missing in the request: ${missing.join(', ')}`);
    }
    const responseType = query.get('response_type') ?? 'code';
    if (!RESPONSE_TYPES.has(responseType)) {
      throw new ApiError('validation_error', 'querystring/response_type must be equal to one of the allowed values: code, token');
    }

    const known = Object.hasOwn(this.products, product) ? this.products[product] : undefined;
    if (!known) throw new ApiError('unknown_product', 'Provided product was not found');
    // Not on this endpoint's page; the License API's generic list has customer_account_not_found, a 400 like the rest.
    if (!known.customerAccounts.includes(customerAccountCode)) {
      throw new ApiError('customer_account_not_found', 'Provided customer account was not found');
    }
    return { product, customerAccountCode, responseType };
  }

  /**
   * The vendor SDK verifies RSA-SHA256 over JSON.stringify of the parsed body, so the emulator signs
   * and sends one serialization: parsing and re-serializing plain JSON gives back the same text.
   */
  private signedResponse(body: SsoUrlResponse): EmulatorResponse {
    const text = JSON.stringify(body);
    const tamper = this.signatureTamper;
    this.signatureTamper = undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
    // A corrupt signature is still a well-formed RSA signature, just over other bytes.
    if (tamper !== 'omit') headers.licensesignature = this.rsaSign(tamper === 'corrupt' ? `${text}\n` : text);
    return { status: 200, headers, body: text };
  }

  private rsaSign(text: string): string {
    return createSign('RSA-SHA256').update(text).sign(this.privateKey, 'base64');
  }
}

function ssoUrlBody(customerAccountCode: string, product: string, responseType: string): SsoUrlResponse {
  const realm = `${AUTH_HOST}/realms/${encodeURIComponent(customerAccountCode)}`;
  const authorizationEndpoint = `${realm}/protocol/openid-connect/auth`;
  // Each call issues a fresh state: an SSO URL is single-use material, so no two responses may match.
  const authorizationQuery = new URLSearchParams({
    client_id: product,
    response_type: responseType,
    redirect_uri: SSO_REDIRECT_URI,
    scope: 'openid',
    state: randomBytes(16).toString('hex'),
  });
  const url = `${authorizationEndpoint}?${authorizationQuery}`;
  return {
    url,
    openid_configuration: {
      issuer: realm,
      authorization_endpoint: authorizationEndpoint,
      token_endpoint: `${realm}/protocol/openid-connect/token`,
      jwks_uri: `${realm}/protocol/openid-connect/certs`,
    },
    // Keycloak's hint that skips the identity-provider choice: a second way into the same login.
    alternate_urls: [`${url}&kc_idp_hint=${encodeURIComponent(customerAccountCode)}`],
  };
}

function generateApiKey(): LicenseSpringApiKey {
  return { apiKey: randomUUID(), sharedKey: randomBytes(30).toString('base64url') };
}

/** An empty header is as good as none. */
function headerValue(request: EmulatorRequest, name: 'date' | 'authorization'): string | undefined {
  return request.headers[name] || undefined;
}

function sameText(received: string, expected: string): boolean {
  const receivedBytes = Buffer.from(received);
  const expectedBytes = Buffer.from(expected);
  return receivedBytes.length === expectedBytes.length && timingSafeEqual(receivedBytes, expectedBytes);
}
