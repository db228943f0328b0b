import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import type { PipelineResponse } from '@azure/core-rest-pipeline';
import { z } from 'zod';
import { type BrokerError, UnknownCustomerAccountError, UnknownProductError, UpstreamError } from '../../errors';
import type { Clock } from '../../time/clock';
import { parseJsonBody, throttledError, type UpstreamPipeline } from '../upstreamPipeline';
import { authorizationHeader, licenseSpringDate } from './signing';

export interface LicenseSpringSettings {
  endpoint: string;
  apiKey: string;
  sharedKey: string;
  /** PEM (SPKI) public key of the account; when set, every answer's `LicenseSignature` is checked. */
  publicKey?: string;
}

export interface SsoUrlRequest {
  product: string;
  customerAccountCode: string;
  responseType: 'code' | 'token';
}

const ssoUrlResponseSchema = z.object({
  url: z.url({ protocol: /^https?$/ }),
  openid_configuration: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  alternate_urls: z.array(z.string()).optional(),
});

export type SsoUrlResponse = z.output<typeof ssoUrlResponseSchema>;

const licenseSpringErrorSchema = z.object({ code: z.string() });

/**
 * LicenseSpring's License API `sso_url`, signed with the account's shared key (Date + HMAC), its
 * answers verified against the account's public key as the vendor's own SDK does.
 */
export class LicenseSpringClient {
  private readonly publicKey: KeyObject | undefined;

  constructor(
    private readonly pipeline: UpstreamPipeline,
    private readonly settings: LicenseSpringSettings,
    private readonly clock: Clock,
  ) {
    this.publicKey = settings.publicKey === undefined ? undefined : createPublicKey(settings.publicKey);
  }

  async getSsoUrl(request: SsoUrlRequest, requestId: string): Promise<SsoUrlResponse> {
    const query = new URLSearchParams({
      product: request.product,
      customer_account_code: request.customerAccountCode,
      response_type: request.responseType,
    });
    const date = licenseSpringDate(this.clock.now());
    const response = await this.pipeline.send({
      method: 'GET',
      url: `${this.settings.endpoint}/api/v4/sso_url?${query}`,
      headers: {
        date,
        authorization: authorizationHeader({ apiKey: this.settings.apiKey, sharedKey: this.settings.sharedKey, date }),
      },
      requestId,
    });
    if (response.status !== 200) throw failure(response);
    const body = parseJsonBody(response);
    this.verifySignature(response, body);
    const parsed = ssoUrlResponseSchema.safeParse(body);
    if (!parsed.success) throw new UpstreamError({ internal: 'LicenseSpring sso_url: malformed 200 body' });
    return parsed.data;
  }

  /** The vendor signs `JSON.stringify` of the parsed body, not the bytes on the wire. */
  private verifySignature(response: PipelineResponse, body: unknown): void {
    if (!this.publicKey) return;
    const signature = response.headers.get('licensesignature');
    const valid =
      signature !== undefined &&
      body !== undefined &&
      verify('RSA-SHA256', Buffer.from(JSON.stringify(body)), this.publicKey, Buffer.from(signature, 'base64'));
    if (!valid) {
      throw new UpstreamError({ internal: `LicenseSpring sso_url: ${signature === undefined ? 'missing' : 'invalid'} LicenseSignature` });
    }
  }
}

/**
 * LicenseSpring's answers about what the caller asked for, which the caller can correct. Every
 * other code (missing_headers, authorization_*, signature_mismatch, invalid_api_key,
 * date_header_diff, validation_error, ...) is about the broker's own request: a 502.
 * The vendor documents all of them as 400 (seeds: sso_url page; generic list:
 * https://docs.licensespring.com/license-api/error-responses).
 */
const CALLER_INPUT_ERRORS: ReadonlyMap<string, () => BrokerError> = new Map<string, () => BrokerError>([
  ['unknown_product', () => new UnknownProductError()],
  ['customer_account_not_found', () => new UnknownCustomerAccountError()],
]);

function failure(response: PipelineResponse): Error {
  const parsed = licenseSpringErrorSchema.safeParse(parseJsonBody(response));
  const code = parsed.success ? parsed.data.code : 'unreadable';
  const callerError = response.status === 400 ? CALLER_INPUT_ERRORS.get(code) : undefined;
  if (callerError) return callerError();
  const internal = `LicenseSpring sso_url answered ${response.status} ${code}`;
  if (response.status === 429) return throttledError(response, internal);
  return new UpstreamError({ internal });
}
