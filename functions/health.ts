import { app } from '@azure/functions';
import '../shared/startupCheck';
import { brokerHandler } from '../shared/http/brokerHandler';

/** Liveness: answers while the process serves requests, and touches nothing else. */
export const healthHandler = brokerHandler({ cacheControl: 'no-store' }, async () => ({
  status: 200,
  jsonBody: { status: 'ok' },
}));

app.http('health', { methods: ['GET'], route: 'health', authLevel: 'anonymous', handler: healthHandler });
