import { FunctionRegistry } from '../../../../local/host/functionRegistry';
import type { HostLog } from '../../../../local/host/hostLog';
import { startLocalHost } from '../../../../local/host/startLocalHost';
import { registerWith } from '../../../support/registerWith';
import { connects, freePort } from '../../../support/sockets';

const silentLog: HostLog = () => undefined;

describe('local host: app hooks, as the Node.js worker runs them', () => {
  it('runs appStart hooks in order before it listens, and appTerminate hooks with the same hookData on close', async () => {
    const registry = new FunctionRegistry(silentLog);
    const events: string[] = [];
    let releaseStart = () => {};
    const startMayFinish = new Promise<void>((resolve) => (releaseStart = resolve));
    let startReached = () => {};
    const startBegun = new Promise<void>((resolve) => (startReached = resolve));
    registerWith(registry, ({ app }) => {
      app.http('health', { methods: ['GET'], handler: async () => ({ body: 'ok' }) });
      app.hook.appStart(async (context) => {
        events.push('first appStart');
        context.hookData.startedBy = 'first appStart';
        startReached();
        await startMayFinish;
      });
      app.hook.appStart(() => {
        events.push('second appStart');
      });
      app.hook.appTerminate((context) => {
        events.push(`appTerminate sees ${String(context.hookData.startedBy)}`);
      });
    });
    const port = await freePort();

    const starting = startLocalHost({ registrations: registry.registrations(), port, log: silentLog });
    await startBegun;
    expect(await connects(port)).toBe(false);
    releaseStart();
    const host = await starting;
    expect(events).toEqual(['first appStart', 'second appStart']);
    expect(await connects(port)).toBe(true);

    await host.close();
    expect(events).toEqual(['first appStart', 'second appStart', 'appTerminate sees first appStart']);
  });

  it('fails to start, serving nothing, when an appStart hook throws', async () => {
    const registry = new FunctionRegistry(silentLog);
    registerWith(registry, ({ app }) => {
      app.http('health', { methods: ['GET'], handler: async () => ({ body: 'ok' }) });
      app.hook.appStart(() => {
        throw new Error('cannot start without its settings');
      });
    });
    const port = await freePort();
    await expect(startLocalHost({ registrations: registry.registrations(), port, log: silentLog })).rejects.toThrow(
      'cannot start without its settings',
    );
    expect(await connects(port)).toBe(false);
  });

  it('logs a failing appTerminate hook and still closes', async () => {
    const lines: string[] = [];
    const registry = new FunctionRegistry(silentLog);
    registerWith(registry, ({ app }) => {
      app.hook.appTerminate(() => {
        throw new Error('terminate went wrong');
      });
    });
    const host = await startLocalHost({
      registrations: registry.registrations(),
      port: 0,
      log: (level, source, message) => lines.push(`${level} ${source} ${message}`),
    });
    await host.close();
    expect(await connects(host.port)).toBe(false);
    expect(lines).toEqual([expect.stringMatching(/^error host An appTerminate hook failed: Error: terminate went wrong/)]);
  });
});
