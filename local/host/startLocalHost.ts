import { type Clock, systemClock } from '../../shared/time/clock';
import type { HookCallback, Registrations } from './functionRegistry';
import { consoleHostLog, describeError, type HostLog } from './hostLog';
import { type ExtraRoutes, startHttpHost } from './httpHost';
import { prefixRouteTemplate } from './routeTemplate';
import { type RunningTimers, startTimers } from './timerHost';

export interface LocalHostOptions {
  registrations: Registrations;
  /** Default 7071, the Functions Core Tools' port; 0 picks a free port. */
  port?: number;
  /** host.json `extensions.http.routePrefix` (see readRoutePrefix); default `api`. */
  routePrefix?: string;
  extraRoutes?: ExtraRoutes;
  /** Default: `[level] source: message` lines on stdout/stderr. */
  log?: HostLog;
  /** Drives the timer schedules; default the system clock. */
  clock?: Clock;
  /** The largest request body a function receives; default the Functions host's own 100 MB. */
  maxBodyBytes?: number;
  /** What appStart hooks see as `functionAppDirectory`; default the working directory. */
  functionAppDirectory?: string;
}

export interface LocalHost {
  /** `http://127.0.0.1:<port>`, no trailing slash and no route prefix. */
  readonly url: string;
  readonly port: number;
  /** The timer functions' schedules: told when the clock jumps, paused and resumed by the local control routes. */
  readonly timers: RunningTimers;
  /** Stops the timers, drops open connections, stops listening, then runs the appTerminate hooks. */
  close(): Promise<void>;
}

/** The Functions host's default request body limit (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`). */
const FUNCTIONS_HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;

/**
 * Runs the app's appStart hooks (awaited, in registration order; one that throws fails the start,
 * as it fails the worker's), then serves the HTTP functions on 127.0.0.1 and runs the timer
 * functions on their schedules.
 */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? consoleHostLog;
  const { hooks } = options.registrations;
  // As in the Node.js worker: `hookData` is shared by the app-level hooks only, `appHookData` by every hook.
  const hookData = {};
  const appHookData = {};
  await runHooks(hooks.appStart, { hookData, appHookData, functionAppDirectory: options.functionAppDirectory ?? process.cwd() });
  const httpHost = await startHttpHost({
    routes: options.registrations.http,
    routePrefix: options.routePrefix ?? 'api',
    port: options.port ?? 7071,
    maxBodyBytes: options.maxBodyBytes ?? FUNCTIONS_HOST_MAX_BODY_BYTES,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    log,
  });
  const timers = startTimers(options.registrations.timers, options.clock ?? systemClock, log);
  return {
    url: httpHost.url,
    port: httpHost.port,
    timers,
    close: async () => {
      timers.stop();
      await httpHost.close();
      await runHooks(hooks.appTerminate, { hookData, appHookData }).catch((error: unknown) =>
        log('error', 'host', `An appTerminate hook failed: ${describeError(error)}`),
      );
    },
  };
}

async function runHooks(callbacks: readonly HookCallback[], context: Record<string, unknown>): Promise<void> {
  for (const callback of callbacks) await callback(context);
}

/**
 * One line per function, for the start banner:
 * `GET,POST http://127.0.0.1:7071/api/health` and `TIMER 0 0 3 * * * rotateGateways`.
 */
export function formatFunctionList(registrations: Registrations, url: string, routePrefix: string): string[] {
  const httpLines = registrations.http.map((registration) => {
    const methods = registration.methods.length > 0 ? registration.methods.join(',') : '*';
    return `${methods} ${url}/${prefixRouteTemplate(routePrefix, registration.template).text}`;
  });
  const timerLines = registrations.timers.map((registration) => `TIMER ${registration.schedule.expression} ${registration.functionName}`);
  return [...httpLines, ...timerLines];
}
