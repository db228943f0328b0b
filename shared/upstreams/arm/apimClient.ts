import type { PipelineResponse } from '@azure/core-rest-pipeline';
import type { z } from 'zod';
import type { ApimService } from '../../config/apimServices';
import { NotFoundError, UpstreamError, UpstreamForbiddenError } from '../../errors';
import type { UpstreamPipeline } from '../upstreamPipeline';
import { parseJsonBody, throttledError } from '../upstreamPipeline';
import {
  type AuthorizationServer,
  armErrorBodySchema,
  authorizationServerSchema,
  gatewayTokenContractSchema,
  ssoTokenResultSchema,
} from './armSchemas';

export type KeyType = 'primary' | 'secondary';

export interface ApimApiVersions {
  ssoToken: string;
  gatewayToken: string;
  authorizationServer: string;
}

/** The ARM permission each operation needs, named when ARM's answer does not name it. */
const REQUIRED_ACTION = {
  ssoToken: 'Microsoft.ApiManagement/service/getssotoken/action',
  gatewayToken: 'Microsoft.ApiManagement/service/gateways/generateToken/action',
  authorizationServer: 'Microsoft.ApiManagement/service/authorizationServers/read',
  regenerateKey: 'Microsoft.ApiManagement/service/gateways/regenerateKey/action',
} as const;

type Operation = keyof typeof REQUIRED_ACTION;

const ARM_ACTION = /perform action '(Microsoft\.ApiManagement\/[A-Za-z/]+)'/;

/**
 * The API Management operations the broker calls over ARM: the three it brokers, and the key
 * regeneration of rotation hygiene and revoke. Every answer is parsed;
 * anything unexpected becomes a 502 with the detail in the log, never in the caller's response.
 */
export class ApimClient {
  constructor(
    private readonly pipeline: UpstreamPipeline,
    private readonly endpoint: string,
    private readonly apiVersions: ApimApiVersions,
  ) {}

  async getSsoToken(service: ApimService, requestId: string): Promise<{ redirectUri: string }> {
    const response = await this.pipeline.send({
      method: 'POST',
      url: this.url(service, ['getssotoken'], this.apiVersions.ssoToken),
      requestId,
    });
    return this.parse(response, 'ssoToken', `API Management service '${service.alias}'`, ssoTokenResultSchema);
  }

  async generateGatewayToken(
    service: ApimService,
    gatewayId: string,
    request: { keyType: KeyType; expiry: string },
    requestId: string,
  ): Promise<{ value: string }> {
    const response = await this.pipeline.send({
      method: 'POST',
      url: this.url(service, ['gateways', gatewayId, 'generateToken'], this.apiVersions.gatewayToken),
      body: JSON.stringify({ keyType: request.keyType, expiry: request.expiry }),
      requestId,
    });
    return this.parse(response, 'gatewayToken', `Gateway '${gatewayId}'`, gatewayTokenContractSchema);
  }

  /** Every token signed with the key stops validating (APIM answers 204). */
  async regenerateGatewayKey(service: ApimService, gatewayId: string, keyType: KeyType, requestId: string): Promise<void> {
    const response = await this.pipeline.send({
      method: 'POST',
      url: this.url(service, ['gateways', gatewayId, 'regenerateKey'], this.apiVersions.gatewayToken),
      body: JSON.stringify({ keyType }),
      requestId,
    });
    if (response.status !== 204 && response.status !== 200) throw this.failure(response, 'regenerateKey', `Gateway '${gatewayId}'`);
  }

  async getAuthorizationServer(
    service: ApimService,
    authsid: string,
    requestId: string,
  ): Promise<{ contract: AuthorizationServer; etag: string | undefined }> {
    const response = await this.pipeline.send({
      method: 'GET',
      url: this.url(service, ['authorizationServers', authsid], this.apiVersions.authorizationServer),
      requestId,
    });
    const contract = this.parse(response, 'authorizationServer', `Authorization server '${authsid}'`, authorizationServerSchema);
    return { contract, etag: response.headers.get('etag') };
  }

  private url(service: ApimService, segments: string[], apiVersion: string): string {
    const path = segments.map(encodeURIComponent).join('/');
    return `${this.endpoint}${service.resourceId}/${path}?api-version=${encodeURIComponent(apiVersion)}`;
  }

  private parse<T extends z.ZodType>(response: PipelineResponse, operation: Operation, resource: string, schema: T): z.output<T> {
    if (response.status !== 200) throw this.failure(response, operation, resource);
    const parsed = schema.safeParse(parseJsonBody(response));
    if (!parsed.success) {
      throw new UpstreamError({ internal: `ARM ${operation}: malformed 200 body (${correlation(response)})` });
    }
    return parsed.data;
  }

  private failure(response: PipelineResponse, operation: Operation, resource: string): Error {
    const armError = armErrorBodySchema.safeParse(parseJsonBody(response));
    const code = armError.success ? armError.data.error.code : 'unreadable';
    const internal = `ARM ${operation} answered ${response.status} ${code} (${correlation(response)})`;
    if (response.status === 403 && code === 'AuthorizationFailed') {
      const named = armError.success ? ARM_ACTION.exec(armError.data.error.message ?? '')?.[1] : undefined;
      return new UpstreamForbiddenError(named ?? REQUIRED_ACTION[operation], { internal });
    }
    if (response.status === 404) return new NotFoundError(resource);
    if (response.status === 429) return throttledError(response, internal);
    return new UpstreamError({ internal });
  }
}

/** ARM's correlation headers, for the log line that ties our request to theirs. */
function correlation(response: PipelineResponse): string {
  return ['x-ms-request-id', 'x-ms-correlation-request-id', 'x-ms-routing-request-id']
    .map((name) => `${name}=${response.headers.get(name) ?? '-'}`)
    .join(' ');
}
