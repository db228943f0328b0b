import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { configuredRotation, rotationTarget } from '../shared/rotation/rotationRoutes';

/** The published token's metadata and the last run for one target; never the token itself. */
export const gatewayTokenStatusHandler = brokerHandler({ cacheControl: 'no-store', operation: 'tokenStatus' }, async (call) => {
  const { service, gatewayId } = parseInput(rotationSchemas().gatewayPathSchema, call.request.params);
  call.authorize({ service, gatewayId });
  const target = rotationTarget(broker(), service, gatewayId);
  return { status: 200, jsonBody: await configuredRotation(broker()).status(target) };
});

app.http('gatewayTokenStatus', {
  methods: ['GET'],
  route: 'apim/{service}/gateways/{gatewayId}/token-status',
  authLevel: 'anonymous',
  handler: gatewayTokenStatusHandler,
});
