import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { ApiManagementClient, type ApiManagementClientOptionalParams } from '@azure/arm-apimanagement';
import type { ArmEmulator } from '../../../../../local/emulators/arm/armEmulator';
import type { LocalTlsMaterial } from '../../../../../local/emulators/tls';

export const SUBSCRIPTION_ID = '00000000-0000-0000-0000-000000000000';
export const RESOURCE_GROUP = 'rg1';
export const SERVICE = 'apimService1';
export const SERVICE_PATH = `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/${SERVICE}`;
export const DAY_MS = 24 * 60 * 60 * 1000;

/** An official vector, read from the project's unchanged copy. */
export function readApimVector(name: string): { parameters: Record<string, unknown>; responses: Record<string, { body?: unknown }> } {
  return JSON.parse(readFileSync(path.join(__dirname, '../../../../fixtures/vectors/apim', name), 'utf8'));
}

/** The official ARM client, trusting the emulator's certificate and holding a static token. */
export function officialClient(
  emulator: ArmEmulator,
  tls: LocalTlsMaterial,
  options: ApiManagementClientOptionalParams = {},
): ApiManagementClient {
  const credential = { getToken: async () => ({ token: 'local', expiresOnTimestamp: Date.now() + 3600e3 }) };
  return new ApiManagementClient(credential, SUBSCRIPTION_ID, { endpoint: emulator.url, tlsOptions: { ca: tls.cert }, ...options });
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequest {
  method?: string;
  /** Path and query, e.g. `${SERVICE_PATH}/getssotoken?api-version=2024-05-01`. */
  path: string;
  /** The Authorization header; default `Bearer local`, `null` sends none. */
  authorization?: string | null;
  headers?: Record<string, string>;
  /** Sent as JSON with `content-type: application/json` unless a string is given. */
  body?: unknown;
}

/** A request no client library shapes, for what the official client refuses to send. */
export function armHttp(emulator: ArmEmulator, tls: LocalTlsMaterial, request: RawRequest): Promise<RawResponse> {
  const payload = request.body === undefined ? undefined : typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const authorization = request.authorization === undefined ? 'Bearer local' : request.authorization;
  const headers: Record<string, string> = {
    ...(authorization === null ? {} : { authorization }),
    ...(payload !== undefined && typeof request.body !== 'string' ? { 'content-type': 'application/json' } : {}),
    ...request.headers,
  };
  return new Promise((resolve, reject) => {
    const req = https.request(new URL(request.path, emulator.url), { method: request.method ?? 'POST', headers, ca: tls.cert }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export function errorOf(response: RawResponse): {
  code: string;
  message: string;
  details?: { code: string; target?: string; message: string }[];
} {
  return (JSON.parse(response.text) as { error: ReturnType<typeof errorOf> }).error;
}
