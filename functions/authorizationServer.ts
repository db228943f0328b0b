import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { ifNoneMatchHits } from '../shared/http/conditionalRequest';
import { parseInput } from '../shared/http/validation';
import { broker, requestSchemas } from '../shared/lazyParts';

/** APIM Authorization Server Get: the contract with every secret field left out. */
export const authorizationServerHandler = brokerHandler(
  { cacheControl: 'no-cache', operation: 'authorizationServerRead' },
  async (call) => {
    const { request } = call;
    const { service, authsid } = parseInput(requestSchemas().authorizationServerPathSchema, request.params);
    call.authorize({ service, authsid });
    const { contract, etag } = await broker().apimTokens.authorizationServer(service, authsid, call);
    const headers: Record<string, string> = etag === undefined ? {} : { ETag: etag };
    if (etag !== undefined && ifNoneMatchHits(request.headers.get('if-none-match'), etag)) return { status: 304, headers };
    return { status: 200, headers, jsonBody: contract };
  },
);

app.http('authorizationServer', {
  methods: ['GET'],
  route: 'apim/{service}/authorization-servers/{authsid}',
  authLevel: 'anonymous',
  handler: authorizationServerHandler,
});
