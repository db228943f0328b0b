import type { HttpResponseInit } from '@azure/functions';
import type { Broker } from '../broker';
import type { RotationTarget } from '../config/rotationSettings';
import { NotARotationTargetError, RotationNotConfiguredError } from '../errors';
import type { BrokerRequest } from '../http/brokerHandler';
import { parseInput } from '../http/validation';
import { rotationSchemas } from '../lazyParts';
import { type RotationReport, reportStatus } from './rotationReport';
import type { RotationService } from './rotationService';

/** The broker's rotation, or a 404 saying none is configured. */
export function configuredRotation(broker: Broker): RotationService {
  if (!broker.rotation) throw new RotationNotConfiguredError();
  return broker.rotation;
}

/** A configured rotation target, or a 404 naming what was asked for. */
export function rotationTarget(broker: Broker, service: string, gatewayId: string) {
  const target = configuredRotation(broker).target(service, gatewayId);
  if (!target) throw new NotARotationTargetError(service, gatewayId);
  return target;
}

/** How long a caller waits before polling a run that is still going (Logic Apps read `Retry-After`). */
export const RUN_POLL_SECONDS = 10;

/** 200 or 207 with the report of a finished run. */
export function reportAnswer(report: RotationReport): HttpResponseInit {
  return { status: reportStatus(report), jsonBody: report };
}

/**
 * 202 for a run still going: where its report will be (`…/rotation/runs/{runId}`, resolved against
 * the URL of a request to `…/rotation/run` or to that location itself), and when to look.
 */
export function runningAnswer(runId: string, startedAt: string, requestUrl: string): HttpResponseInit {
  return {
    status: 202,
    headers: {
      Location: new URL(`runs/${runId}`, requestUrl.replace(/\/runs\/[^/?]*/, '/run')).href,
      'Retry-After': String(RUN_POLL_SECONDS),
    },
    jsonBody: { runId, status: 'running', startedAt },
  };
}

/**
 * Runs a rotation operation once per `Idempotency-Key` (when the caller sends one): a replay answers
 * the first result with `Idempotent-Replayed: true`.
 */
export async function idempotently<T>(
  call: BrokerRequest,
  rotation: RotationService,
  operation: string,
  target: RotationTarget,
  work: () => Promise<T>,
): Promise<{ answer: T; headers: Record<string, string> }> {
  const key = parseInput(
    rotationSchemas().idempotencyKeySchema,
    call.request.headers.get('idempotency-key') ?? undefined,
    'Idempotency-Key',
  );
  if (key === undefined) return { answer: await work(), headers: {} };
  const { answer, replayed } = await rotation.once({ operation, callerId: call.caller?.id ?? '', target, key }, work, call.log);
  return { answer, headers: replayed ? { 'Idempotent-Replayed': 'true' } : {} };
}
