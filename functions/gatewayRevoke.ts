import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { configuredRotation, idempotently, rotationTarget } from '../shared/rotation/rotationRoutes';

/**
 * The emergency: every token issued before it dies and the newly published one works (409 when the
 * deployment turned revoke off). Honours `Idempotency-Key`; a retry after a failed step continues.
 */
export const gatewayRevokeHandler = brokerHandler({ cacheControl: 'no-store', operation: 'rotate' }, async (call) => {
  const { service, gatewayId } = parseInput(rotationSchemas().gatewayPathSchema, call.request.params);
  call.authorize({ service, gatewayId });
  const rotation = configuredRotation(broker());
  const target = rotationTarget(broker(), service, gatewayId);
  const { answer, headers } = await idempotently(call, rotation, 'revoke', target, () => rotation.revoke(target, call.log));
  return { status: 200, headers, jsonBody: answer };
});

app.http('gatewayRevoke', {
  methods: ['POST'],
  route: 'apim/{service}/gateways/{gatewayId}/revoke',
  authLevel: 'anonymous',
  handler: gatewayRevokeHandler,
});
