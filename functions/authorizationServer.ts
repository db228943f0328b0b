import { app } from '@azure/functions';
import type * as Broker from '../shared/broker';
import { brokerHandler } from '../shared/http/brokerHandler';
import { parseInput } from '../shared/http/validation';
import { lazy } from '../shared/lazy';
import type * as Schemas from '../shared/schemas/requestSchemas';

const schemas = lazy(() => require('../shared/schemas/requestSchemas') as typeof Schemas);
const broker = lazy(() => (require('../shared/broker') as typeof Broker).getBroker());

/** APIM Authorization Server Get: the contract with every secret field left out. */
export const authorizationServerHandler = brokerHandler(
  { cacheControl: 'no-cache', operation: 'authorizationServerRead' },
  async (call) => {
    const { request } = call;
    const { service, authsid } = parseInput(schemas().authorizationServerPathSchema, request.params);
    call.authorize({ service, authsid });
    const { contract, etag } = await broker().apimTokens.authorizationServer(service, authsid, call);
    const headers: Record<string, string> = etag === undefined ? {} : { ETag: etag };
    if (etag !== undefined && request.headers.get('if-none-match') === etag) return { status: 304, headers };
    return { status: 200, headers, jsonBody: contract };
  },
);

app.http('authorizationServer', {
  methods: ['GET'],
  route: 'apim/{service}/authorization-servers/{authsid}',
  authLevel: 'anonymous',
  handler: authorizationServerHandler,
});
