import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { singleValuedQuery } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { reportStatus } from '../shared/rotation/rotationReport';
import { configuredRotation, idempotently, rotationTarget } from '../shared/rotation/rotationRoutes';

/** Rotates one target now when due; `?force=true` even when not, honouring `Idempotency-Key`. */
export const gatewayRotateHandler = brokerHandler({ cacheControl: 'no-store', operation: 'rotate' }, async (call) => {
  const schemas = rotationSchemas();
  const { service, gatewayId } = parseInput(schemas.gatewayPathSchema, call.request.params);
  call.authorize({ service, gatewayId });
  const { force } = parseInput(schemas.gatewayRotateQuerySchema, singleValuedQuery(new URL(call.request.url).searchParams), 'query');
  const rotation = configuredRotation(broker());
  const target = rotationTarget(broker(), service, gatewayId);
  const rotate = () => rotation.rotate(target, { force, log: call.log });
  const { answer, headers } = force
    ? await idempotently(call, rotation, 'rotate', target, rotate)
    : { answer: await rotate(), headers: {} };
  return { status: reportStatus(answer), headers, jsonBody: answer };
});

app.http('gatewayRotate', {
  methods: ['POST'],
  route: 'apim/{service}/gateways/{gatewayId}/rotate',
  authLevel: 'anonymous',
  handler: gatewayRotateHandler,
});
