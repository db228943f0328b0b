import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { singleValuedQuery } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { reportStatus } from '../shared/rotation/rotationReport';
import { configuredRotation, rotationTarget } from '../shared/rotation/rotationRoutes';

/** Rotates one target now when due; `?force=true` even when not, honouring `Idempotency-Key`. */
export const gatewayRotateHandler = brokerHandler({ cacheControl: 'no-store', operation: 'rotate' }, async (call) => {
  const schemas = rotationSchemas();
  const { service, gatewayId } = parseInput(schemas.gatewayPathSchema, call.request.params);
  call.authorize({ service, gatewayId });
  const { force } = parseInput(schemas.gatewayRotateQuerySchema, singleValuedQuery(new URL(call.request.url).searchParams), 'query');
  const key = parseInput(schemas.idempotencyKeySchema, call.request.headers.get('idempotency-key') ?? undefined, 'Idempotency-Key');
  const rotation = configuredRotation(broker());
  const target = rotationTarget(broker(), service, gatewayId);
  if (!force || key === undefined) {
    const report = await rotation.rotate(target, { force, log: call.log });
    return { status: reportStatus(report), jsonBody: report };
  }
  const { report, replayed } = await rotation.rotateIdempotently(
    target,
    { force, log: call.log },
    { callerId: call.caller?.id ?? '', key },
  );
  const headers: Record<string, string> = replayed ? { 'Idempotent-Replayed': 'true' } : {};
  return { status: reportStatus(report), headers, jsonBody: report };
});

app.http('gatewayRotate', {
  methods: ['POST'],
  route: 'apim/{service}/gateways/{gatewayId}/rotate',
  authLevel: 'anonymous',
  handler: gatewayRotateHandler,
});
