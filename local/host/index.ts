/**
 * The local Functions host: a development stand-in for the Azure Functions host, which cannot be
 * installed here. It captures the registrations the unchanged function files make, routes HTTP
 * requests to them as the host does, and runs timer functions on their NCRONTAB schedules.
 *
 * Typical start-up: `startLocalHost({ registrations: loadFunctionApp(functionFilesFromPackageMain(dir)),
 * routePrefix: readRoutePrefix('host.json') })`.
 */

export type { CoreBinding, CoreFunctionMetadata, Disposable, HttpRegistration, Registrations, TimerRegistration } from './functionRegistry';
export { FunctionRegistry } from './functionRegistry';
export { installFunctionsCoreHook, loadFunctionApp } from './functionsCoreHook';
export { readRoutePrefix } from './hostJson';
export type { HostLog } from './hostLog';
export { consoleHostLog } from './hostLog';
export type { ExtraRoutes } from './httpHost';
export { expandMainGlob, functionFilesFromPackageMain } from './mainGlob';
export type { LocalHost, LocalHostOptions } from './startLocalHost';
export { formatFunctionList, startLocalHost } from './startLocalHost';
export type { RunningTimers } from './timerHost';
