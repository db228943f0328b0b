import { FunctionRegistry } from '../../../../local/host/functionRegistry';
import type { HostLog } from '../../../../local/host/hostLog';
import { registerWith } from '../../../support/registerWith';

const silentLog: HostLog = () => undefined;

describe('FunctionRegistry as @azure/functions-core', () => {
  it('captures app.http registrations with route, uppercase methods and handler', () => {
    const registry = new FunctionRegistry(silentLog);
    const handler = async () => ({ status: 200 });
    registerWith(registry, ({ app }) => {
      app.http('ssoToken', { route: 'apim/{service}/sso-token', methods: ['POST'], authLevel: 'anonymous', handler });
      app.get('health', { handler });
    });

    const { http, timers } = registry.registrations();
    expect(timers).toEqual([]);
    expect(http.map(({ functionName, route, methods }) => ({ functionName, route, methods }))).toEqual([
      { functionName: 'ssoToken', route: 'apim/{service}/sso-token', methods: ['POST'] },
      { functionName: 'health', route: 'health', methods: ['GET'] },
    ]);
    expect(http[0]?.handler).toBe(handler);
    expect(http[0]?.trigger).toMatchObject({ type: 'httpTrigger', authLevel: 'anonymous' });
    expect(registry.getProgrammingModel()).toBeDefined();
  });

  it('uses the library default methods (GET, POST) when none are declared', () => {
    const registry = new FunctionRegistry(silentLog);
    registerWith(registry, ({ app }) => app.http('plain', { handler: async () => ({}) }));
    expect(registry.registrations().http[0]?.methods).toEqual(['GET', 'POST']);
  });

  it('captures app.timer registrations with a parsed schedule', () => {
    const registry = new FunctionRegistry(silentLog);
    const handler = async () => undefined;
    registerWith(registry, ({ app }) => app.timer('rotate', { schedule: '0 0 3 * * *', handler }));
    const [timer] = registry.registrations().timers;
    expect(timer?.functionName).toBe('rotate');
    expect(timer?.schedule.expression).toBe('0 0 3 * * *');
    expect(timer?.runOnStartup).toBe(false);
    expect(timer?.handler).toBe(handler);
  });

  it('reads a %Setting% schedule from the environment', () => {
    const registry = new FunctionRegistry(silentLog, { ROTATION_SCHEDULE: '0 */5 * * * *' });
    registerWith(registry, ({ app }) => {
      app.timer('rotate', { schedule: '%ROTATION_SCHEDULE%', runOnStartup: true, handler: async () => undefined });
      expect(() => app.timer('other', { schedule: '%MISSING%', handler: async () => undefined })).toThrow(
        'Function "other": app setting "MISSING" (used as %MISSING%) is not set',
      );
    });
    expect(registry.registrations().timers[0]).toMatchObject({ runOnStartup: true, schedule: { expression: '0 */5 * * * *' } });
  });

  it('fails loudly, naming the function, on a bad route, schedule, duplicate or trigger type', () => {
    const registry = new FunctionRegistry(silentLog);
    const handler = async () => ({});
    registerWith(registry, ({ app }) => {
      expect(() => app.http('bad', { route: 'x/{id:slug}', handler })).toThrow(
        'Function "bad": Route template "x/{id:slug}": unknown route constraint "slug"',
      );
      expect(() => app.timer('badTimer', { schedule: '0 0 * * *', handler: async () => undefined })).toThrow(
        /^Function "badTimer": Invalid NCRONTAB expression "0 0 \* \* \*"/,
      );
      app.http('twice', { handler });
      expect(() => app.http('TWICE', { handler })).toThrow('Function "TWICE" is registered twice');
      expect(() => app.storageQueue('queue', { queueName: 'q', connection: 'c', handler: async () => undefined })).toThrow(
        'Function "queue": the local host runs httpTrigger and timerTrigger functions only, not queueTrigger',
      );
    });
    expect(registry.registrations().http.map((r) => r.functionName)).toEqual(['twice']);
  });

  it('dispose() removes a registration', () => {
    const registry = new FunctionRegistry(silentLog);
    const registration = registry.registerFunction(
      { name: 'temp', bindings: { req: { type: 'httpTrigger', direction: 'in', methods: ['get'] } } },
      async () => ({}),
    );
    expect(registry.registrations().http[0]?.methods).toEqual(['GET']);
    registration.dispose();
    expect(registry.registrations().http).toEqual([]);
  });

  it('keeps appStart and appTerminate hooks until disposed, and warns that invocation hooks are not run', () => {
    const lines: string[] = [];
    const registry = new FunctionRegistry((level, source, message) => lines.push(`${level} ${source} ${message}`));
    registerWith(registry, ({ app }) => {
      app.hook.appStart(() => undefined);
      app.hook.appTerminate(() => undefined);
      app.hook.appStart(() => undefined).dispose();
      app.hook.preInvocation(() => undefined);
    });
    const { hooks } = registry.registrations();
    expect({ appStart: hooks.appStart.length, appTerminate: hooks.appTerminate.length }).toEqual({ appStart: 1, appTerminate: 1 });
    expect(lines).toEqual(['warning host app.hook preInvocation hooks are not run by the local host']);
  });

  it('forwards only problem-level library logs', () => {
    const lines: string[] = [];
    const registry = new FunctionRegistry((level, source, message) => lines.push(`${level} ${source} ${message}`));
    registry.log('debug', 'system', 'noise');
    registry.log('warning', 'system', 'worth seeing');
    expect(lines).toEqual(['warning system worth seeing']);
  });
});
