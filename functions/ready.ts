import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';
import { brokerIfConfigured } from '../shared/lazyParts';

/**
 * Readiness, anonymous and without secrets: 503 while a rotation target's published token is missing
 * or near expiry, its runs are stale (a stopped timer), Key Vault or storage is unreachable, or the
 * configuration is invalid. Health stays liveness only.
 */
export const readyHandler = brokerHandler({ cacheControl: 'no-store' }, async () => {
  const configured = brokerIfConfigured();
  if (!configured) return { status: 503, jsonBody: { status: 'notReady', targets: [], configuration: 'invalid' } };
  const rotation = configured.rotation;
  const readiness = rotation ? await rotation.readiness() : { status: 'ready' as const, targets: [] };
  return { status: readiness.status === 'ready' ? 200 : 503, jsonBody: { ...readiness, configuration: 'ok' } };
});

app.http('ready', { methods: ['GET'], route: 'ready', authLevel: 'anonymous', handler: readyHandler });
