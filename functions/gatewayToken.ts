import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { readJsonObjectBody } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, requestSchemas } from '../shared/lazyParts';
import { formatUtcSeconds } from '../shared/time/isoDateTime';

/** APIM Gateway Generate Token: a self-hosted gateway's `GatewayKey` credential, at most 30 days. */
export const gatewayTokenHandler = brokerHandler({ cacheControl: 'no-store', operation: 'gatewayToken' }, async (call) => {
  const { gatewayPathSchema, gatewayTokenBodySchema } = requestSchemas();
  const { service, gatewayId } = parseInput(gatewayPathSchema, call.request.params);
  call.authorize({ service, gatewayId });
  const body = parseInput(gatewayTokenBodySchema, await readJsonObjectBody(call.request));
  const token = await broker().apimTokens.gatewayToken(
    { alias: service, gatewayId, keyType: body.keyType, expiry: body.expiry, minValidityMs: body.minValidity },
    call,
  );
  call.issued({ secret: token.value, expiresOn: token.expiresOn, cache: token.cache }, { keyType: token.keyType });
  return {
    status: 200,
    headers: { 'x-cache': token.cache },
    jsonBody: {
      gatewayId: token.gatewayId,
      keyType: token.keyType,
      value: token.value,
      expiresOn: formatUtcSeconds(token.expiresOn),
      authorization: `GatewayKey ${token.value}`,
    },
  };
});

app.http('gatewayToken', {
  methods: ['POST'],
  route: 'apim/{service}/gateways/{gatewayId}/token',
  authLevel: 'anonymous',
  handler: gatewayTokenHandler,
});
