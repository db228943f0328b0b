import { app } from '@azure/functions';
import '../shared/startupCheck';
import { NotFoundError } from '../shared/errors';
import { brokerHandler } from '../shared/http/brokerHandler';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { configuredRotation, reportAnswer, runningAnswer } from '../shared/rotation/rotationRoutes';

/** The report of a run that answered 202, from storage, so any instance can answer for it. */
export const rotationRunReportHandler = brokerHandler({ cacheControl: 'no-store', operation: 'rotate' }, async (call) => {
  const { runId } = parseInput(rotationSchemas().runPathSchema, call.request.params);
  call.authorize({});
  const stored = await configuredRotation(broker()).storedReport(runId);
  if (!stored) throw new NotFoundError(`Rotation run '${runId}'`, 'runId');
  return stored.state === 'finished' ? reportAnswer(stored.report) : runningAnswer(stored.runId, stored.startedAt, call.request.url);
});

app.http('rotationRunReport', {
  methods: ['GET'],
  route: 'rotation/runs/{runId}',
  authLevel: 'anonymous',
  handler: rotationRunReportHandler,
});
