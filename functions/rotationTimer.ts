import { app, type InvocationContext, type Timer } from '@azure/functions';
import '../shared/startupCheck';
import { broker } from '../shared/lazyParts';
import { invocationLogger } from '../shared/logging/logger';
import { DEFAULT_ROTATION_SCHEDULE } from '../shared/rotation/schedule';

/**
 * The scheduled rotation (hourly by default). Never on start-up: `runOnStartup` also fires on every
 * scale-out and restart. A run's outcome is in its report and in readiness; a failure is logged by
 * the host and retried by the next occurrence.
 */
export async function rotationTimerHandler(timer: Timer, context: InvocationContext): Promise<void> {
  const log = invocationLogger(context, `timer-${context.invocationId}`);
  const rotation = broker().rotation;
  if (!rotation) {
    log.info({ event: 'rotationSkipped', reason: 'no rotation target is configured' });
    return;
  }
  if (timer.isPastDue) log.info({ event: 'rotationPastDue' });
  await rotation.runAll({ log });
}

app.timer('rotationTimer', {
  schedule: process.env.BROKER_ROTATION_SCHEDULE || DEFAULT_ROTATION_SCHEDULE,
  runOnStartup: false,
  handler: rotationTimerHandler,
});
