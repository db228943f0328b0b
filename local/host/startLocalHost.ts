import { type Clock, systemClock } from '../../shared/time/clock';
import type { Registrations } from './functionRegistry';
import { consoleHostLog, type HostLog } from './hostLog';
import { type ExtraRoutes, startHttpHost } from './httpHost';
import { prefixRouteTemplate } from './routeTemplate';
import { startTimers } from './timerHost';

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
}

export interface LocalHost {
  /** `http://127.0.0.1:<port>`, no trailing slash and no route prefix. */
  readonly url: string;
  readonly port: number;
  /** Stops the timers, drops open connections and stops listening. */
  close(): Promise<void>;
}

/** Serves the HTTP functions on 127.0.0.1 and runs the timer functions on their schedules. */
export async function startLocalHost(options: LocalHostOptions): Promise<LocalHost> {
  const log = options.log ?? consoleHostLog;
  const httpHost = await startHttpHost({
    routes: options.registrations.http,
    routePrefix: options.routePrefix ?? 'api',
    port: options.port ?? 7071,
    ...(options.extraRoutes ? { extraRoutes: options.extraRoutes } : {}),
    log,
  });
  const timers = startTimers(options.registrations.timers, options.clock ?? systemClock, log);
  return {
    url: httpHost.url,
    port: httpHost.port,
    close: async () => {
      timers.stop();
      await httpHost.close();
    },
  };
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
