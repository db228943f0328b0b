import { InvocationContext } from '@azure/functions';
import type * as GatewayRotate from '../../../functions/gatewayRotate';
import type * as GatewayTokenStatus from '../../../functions/gatewayTokenStatus';
import type * as Ready from '../../../functions/ready';
import type * as RotationRun from '../../../functions/rotationRun';
import type * as RotationTimer from '../../../functions/rotationTimer';
import { useBrokerEnvironment } from '../../support/brokerEnvironment';
import { freshInstance } from '../../support/freshInstance';
import { invokeHandler } from '../../support/invokeHandler';

const suite = useBrokerEnvironment();

const load = () =>
  freshInstance(() => ({
    run: (require('../../../functions/rotationRun') as typeof RotationRun).rotationRunHandler,
    rotate: (require('../../../functions/gatewayRotate') as typeof GatewayRotate).gatewayRotateHandler,
    status: (require('../../../functions/gatewayTokenStatus') as typeof GatewayTokenStatus).gatewayTokenStatusHandler,
    ready: (require('../../../functions/ready') as typeof Ready).readyHandler,
    timer: (require('../../../functions/rotationTimer') as typeof RotationTimer).rotationTimerHandler,
  }));

const params = { service: 'apimService1', gatewayId: 'gw1' };

describe('rotation routes when no rotation target is configured', () => {
  it('is ready with no targets, and every rotation route says rotation is not configured', async () => {
    const routes = load();
    const ready = await invokeHandler(routes.ready);
    expect(ready).toMatchObject({ status: 200, json: { status: 'ready', targets: [], configuration: 'ok' } });
    const authorization = suite.authorization;
    for (const [handler, method] of [
      [routes.run, 'POST'],
      [routes.rotate, 'POST'],
      [routes.status, 'GET'],
    ] as const) {
      const answer = await invokeHandler(handler, { method, params, headers: { authorization } });
      expect(answer.status).toBe(404);
      expect(answer.json.error.code).toBe('RotationNotConfigured');
    }
  });

  it('lets the timer fire without doing anything, and says why', async () => {
    const logs: string[] = [];
    const context = new InvocationContext({
      invocationId: 'timer-1',
      functionName: 'rotationTimer',
      logHandler: (_level, ...args) => logs.push(args.join(' ')),
    });
    await load().timer(
      { isPastDue: false, schedule: { adjustForDST: true }, scheduleStatus: { last: '', next: '', lastUpdated: '' } },
      context,
    );
    expect(logs).toEqual([expect.stringContaining('"event":"rotationSkipped"')]);
    expect(suite.env.arm.calls().Gateway_GenerateToken).toBe(0);
  });

  it('is not ready, naming the configuration, while the settings are invalid', async () => {
    const skew = process.env.BROKER_CLOCK_SKEW;
    process.env.BROKER_CLOCK_SKEW = 'banana';
    try {
      const ready = await invokeHandler(load().ready);
      expect(ready).toMatchObject({ status: 503, json: { status: 'notReady', targets: [], configuration: 'invalid' } });
    } finally {
      if (skew === undefined) delete process.env.BROKER_CLOCK_SKEW;
      else process.env.BROKER_CLOCK_SKEW = skew;
    }
  });
});
