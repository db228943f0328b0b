import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { singleValuedQuery } from '../shared/http/requestInput';
import { parseInput } from '../shared/http/validation';
import { broker, rotationSchemas } from '../shared/lazyParts';
import { configuredRotation, reportAnswer, runningAnswer } from '../shared/rotation/rotationRoutes';

/** A run that outlasts this answers 202 and goes on; Logic Apps poll the Location natively. */
const ANSWER_WITHIN_MS = 30_000;

/** Runs the rotation for every target now, as the timer does; `?dryRun=true` reports what it would do. */
export const rotationRunHandler = brokerHandler({ cacheControl: 'no-store', operation: 'rotate' }, async (call) => {
  const { dryRun } = parseInput(
    rotationSchemas().rotationRunQuerySchema,
    singleValuedQuery(new URL(call.request.url).searchParams),
    'query',
  );
  call.authorize({});
  const { clock } = broker();
  const run = configuredRotation(broker()).startRunAll({ dryRun, log: call.log });
  const startedAt = clock.now().toISOString();
  const patience = new AbortController();
  const finished = await Promise.race([
    run.report,
    clock.sleep(ANSWER_WITHIN_MS, patience.signal).then(
      () => undefined,
      () => undefined,
    ),
  ]);
  patience.abort();
  return finished === undefined ? runningAnswer(run.runId, startedAt, call.request.url) : reportAnswer(finished);
});

app.http('rotationRun', { methods: ['POST'], route: 'rotation/run', authLevel: 'anonymous', handler: rotationRunHandler });
