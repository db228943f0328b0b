import https from 'node:https';
import { type Clock, systemClock } from '../../../shared/time/clock';
import { type EmulatorRequest, type EmulatorResponse, type EmulatorRoute, HttpsEmulator } from '../httpsEmulator';
import type { LocalTlsMaterial } from '../tls';
import { AZURITE_ACCOUNT, Azurite } from './azurite';

/** The Blob service operations, named by their `operationId` in the Blob storage REST specification. */
export const BLOB_OPERATIONS = [
  'Container_Create',
  'Container_GetProperties',
  'Container_Delete',
  'Container_ListBlobFlatSegment',
  'BlockBlob_Upload',
  'Blob_Download',
  'Blob_GetProperties',
  'Blob_Delete',
  'Blob_AcquireLease',
  'Blob_RenewLease',
  'Blob_ReleaseLease',
  'Blob_BreakLease',
  'Blob_ChangeLease',
] as const;

export type BlobOperation = (typeof BLOB_OPERATIONS)[number];

const CONTAINER_PATH = new RegExp(`^/${AZURITE_ACCOUNT}/[^/]+/?$`);
const BLOB_PATH = new RegExp(`^/${AZURITE_ACCOUNT}/[^/]+/.+$`);

/** Headers that describe one hop, not the message: Node sets its own. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host']);

type Query = { restype?: string; comp?: string };
const query = (url: URL): Query => ({
  restype: url.searchParams.get('restype') ?? undefined,
  comp: url.searchParams.get('comp') ?? undefined,
});

/** Which operation a request is, as Blob storage tells them apart: by path, method, `restype`, `comp` and the lease action. */
const ROUTES: readonly { operation: BlobOperation; method: string; path: RegExp; when: (q: Query, leaseAction: string) => boolean }[] = [
  { operation: 'Container_Create', method: 'PUT', path: CONTAINER_PATH, when: (q) => q.restype === 'container' && !q.comp },
  { operation: 'Container_GetProperties', method: 'GET', path: CONTAINER_PATH, when: (q) => q.restype === 'container' && !q.comp },
  { operation: 'Container_GetProperties', method: 'HEAD', path: CONTAINER_PATH, when: (q) => q.restype === 'container' && !q.comp },
  { operation: 'Container_Delete', method: 'DELETE', path: CONTAINER_PATH, when: (q) => q.restype === 'container' && !q.comp },
  {
    operation: 'Container_ListBlobFlatSegment',
    method: 'GET',
    path: CONTAINER_PATH,
    when: (q) => q.restype === 'container' && q.comp === 'list',
  },
  { operation: 'BlockBlob_Upload', method: 'PUT', path: BLOB_PATH, when: (q) => !q.comp },
  { operation: 'Blob_Download', method: 'GET', path: BLOB_PATH, when: (q) => !q.comp },
  { operation: 'Blob_GetProperties', method: 'HEAD', path: BLOB_PATH, when: (q) => !q.comp },
  { operation: 'Blob_Delete', method: 'DELETE', path: BLOB_PATH, when: (q) => !q.comp },
  ...(['acquire', 'renew', 'release', 'break', 'change'] as const).map((action) => ({
    operation: `Blob_${action[0]?.toUpperCase()}${action.slice(1)}Lease` as BlobOperation,
    method: 'PUT',
    path: BLOB_PATH,
    when: (q: Query, leaseAction: string) => q.comp === 'lease' && leaseAction === action,
  })),
];

export interface StorageEmulatorOptions {
  /** The clock fault delays and fault ends are measured on. */
  clock?: Clock;
}

/**
 * Blob storage as the broker sees it: Azurite (a child process) behind a small HTTPS proxy that
 * counts each request by its Blob operation and can inject faults, as the in-process emulators do.
 * Everything else (leases, conditions, authentication with the bearer token) is Azurite's own.
 */
export class StorageEmulator extends HttpsEmulator<BlobOperation> {
  readonly azurite = new Azurite();
  /** The local CA, which Azurite's certificate is signed by. */
  private ca = '';

  constructor(options: StorageEmulatorOptions = {}) {
    super(
      'storage',
      BLOB_OPERATIONS,
      ROUTES.map(
        (route): EmulatorRoute<BlobOperation> => ({
          operation: route.operation,
          method: route.method,
          path: route.path,
          when: (url, headers) => route.when(query(url), String(headers['x-ms-lease-action'] ?? '').toLowerCase()),
          handle: (request) => this.forward(request),
        }),
      ),
      options.clock ?? systemClock,
    );
  }

  /** `https://127.0.0.1:<port>/devstoreaccount1` of the proxy: what `AzureWebJobsStorage__blobServiceUri` points at. */
  get blobServiceUrl(): string {
    return `${this.url}/${AZURITE_ACCOUNT}`;
  }

  override async start(tls: LocalTlsMaterial, port = 0): Promise<string> {
    await this.azurite.start(tls);
    this.ca = tls.cert;
    return super.start(tls, port);
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.azurite.stop();
  }

  protected override errorBody(_status: number, code: string, message: string): string {
    return `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  }

  /** Storage names the error in `x-ms-error-code` as well as in its XML body. */
  protected override errorResponse(status: number, code: string, message: string): EmulatorResponse {
    return { status, headers: { 'content-type': 'application/xml', 'x-ms-error-code': code }, body: this.errorBody(status, code, message) };
  }

  private forward(request: EmulatorRequest): Promise<EmulatorResponse> {
    const target = new URL(`${request.url.pathname}${request.url.search}`, this.azurite.blobServiceUrl);
    const headers = Object.fromEntries(Object.entries(request.headers).filter(([name]) => !HOP_BY_HOP.has(name)));
    return new Promise((resolve, reject) => {
      const upstream = https.request(target, { method: request.method, headers, ca: this.ca }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const answer: Record<string, string> = {};
          for (const [name, value] of Object.entries(response.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) answer[name] = Array.isArray(value) ? value.join(', ') : value;
          }
          resolve({ status: response.statusCode ?? 502, headers: answer, body: Buffer.concat(chunks) });
        });
      });
      upstream.on('error', reject);
      upstream.end(request.rawBody);
    });
  }
}
