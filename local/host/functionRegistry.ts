import type { FunctionTrigger, HttpHandler, LogLevel, TimerHandler } from '@azure/functions';
import { type NcrontabSchedule, parseNcrontab } from '../../shared/time/ncrontab';
import { consoleHostLog, type HostLog, isProblemLevel } from './hostLog';
import { parseRouteTemplate, type RouteTemplate } from './routeTemplate';

/** One binding of the metadata `@azure/functions` hands to `registerFunction` (toCoreFunctionMetadata). */
export interface CoreBinding {
  type: string;
  direction: string;
  [property: string]: unknown;
}

export interface CoreFunctionMetadata {
  name: string;
  /** Keyed by binding name; exactly one binding is the trigger (`direction: 'in'`, type `...Trigger`). */
  bindings: Record<string, CoreBinding>;
}

export interface Disposable {
  dispose(): void;
}

export interface HttpRegistration {
  readonly functionName: string;
  /** The function's route without the host prefix: the declared one, or the function name. */
  readonly route: string;
  readonly template: RouteTemplate;
  /** Uppercase; empty accepts every method (a trigger declared without `methods`). */
  readonly methods: readonly string[];
  readonly trigger: FunctionTrigger;
  readonly handler: HttpHandler;
}

export interface TimerRegistration {
  readonly functionName: string;
  /** The schedule after `%AppSetting%` resolution. */
  readonly schedule: NcrontabSchedule;
  readonly runOnStartup: boolean;
  readonly trigger: FunctionTrigger;
  readonly handler: TimerHandler;
}

/** What `registerHook` receives: `@azure/functions` wraps it around the app's handler and passes it the core context. */
export type HookCallback = (context: Record<string, unknown>) => unknown;

/** The app-level hooks the local host runs, in registration order, as the Node.js worker does. */
export type AppHookName = 'appStart' | 'appTerminate';

export interface Registrations {
  readonly http: readonly HttpRegistration[];
  readonly timers: readonly TimerRegistration[];
  readonly hooks: Readonly<Record<AppHookName, readonly HookCallback[]>>;
}

/**
 * Stands in for `@azure/functions-core`, the module only the Functions host provides: it keeps the
 * registrations `app.http(...)` and `app.timer(...)` make, so the local host can serve them.
 * Registration problems throw, naming the function, the way the host refuses to index such an app.
 */
export class FunctionRegistry {
  private programmingModel: unknown;
  private readonly httpRegistrations: HttpRegistration[] = [];
  private readonly timerRegistrations: TimerRegistration[] = [];
  private readonly appHooks: Record<AppHookName, HookCallback[]> = { appStart: [], appTerminate: [] };

  constructor(
    private readonly hostLog: HostLog = consoleHostLog,
    private readonly environment: NodeJS.ProcessEnv = process.env,
  ) {}

  setProgrammingModel(model: unknown): void {
    this.programmingModel = model;
  }

  getProgrammingModel(): unknown {
    return this.programmingModel;
  }

  registerFunction(metadata: CoreFunctionMetadata, handler: (...args: never[]) => unknown): Disposable {
    const { name } = metadata;
    if (this.isRegistered(name)) throw new Error(`Function "${name}" is registered twice`);
    const trigger = findTrigger(metadata);
    try {
      if (trigger.type === 'httpTrigger') {
        const registration = this.toHttpRegistration(name, trigger, handler as unknown as HttpHandler);
        this.httpRegistrations.push(registration);
        return { dispose: () => remove(this.httpRegistrations, registration) };
      }
      if (trigger.type === 'timerTrigger') {
        const registration = this.toTimerRegistration(name, trigger, handler as unknown as TimerHandler);
        this.timerRegistrations.push(registration);
        return { dispose: () => remove(this.timerRegistrations, registration) };
      }
    } catch (error) {
      throw new Error(`Function "${name}": ${(error as Error).message}`);
    }
    throw new Error(`Function "${name}": the local host runs httpTrigger and timerTrigger functions only, not ${trigger.type}`);
  }

  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (hookName !== 'appStart' && hookName !== 'appTerminate') {
      this.hostLog('warning', 'host', `app.hook ${hookName} hooks are not run by the local host`);
      return { dispose() {} };
    }
    const hooks = this.appHooks[hookName];
    hooks.push(callback);
    return { dispose: () => remove(hooks, callback) };
  }

  /** The library's own diagnostics (`workerSystemLog`); only problems are worth a line locally. */
  log(level: LogLevel, category: string, message: string): void {
    if (isProblemLevel(level)) this.hostLog(level, category, message);
  }

  registrations(): Registrations {
    return {
      http: [...this.httpRegistrations],
      timers: [...this.timerRegistrations],
      hooks: { appStart: [...this.appHooks.appStart], appTerminate: [...this.appHooks.appTerminate] },
    };
  }

  private isRegistered(name: string): boolean {
    const lower = name.toLowerCase();
    return [...this.httpRegistrations, ...this.timerRegistrations].some((r) => r.functionName.toLowerCase() === lower);
  }

  private toHttpRegistration(functionName: string, trigger: FunctionTrigger, handler: HttpHandler): HttpRegistration {
    const route = typeof trigger.route === 'string' ? trigger.route : functionName;
    const declaredMethods = Array.isArray(trigger.methods) ? (trigger.methods as unknown[]) : [];
    const methods = declaredMethods.map((method) => String(method).toUpperCase());
    return { functionName, route, template: parseRouteTemplate(route), methods, trigger, handler };
  }

  private toTimerRegistration(functionName: string, trigger: FunctionTrigger, handler: TimerHandler): TimerRegistration {
    if (typeof trigger.schedule !== 'string') throw new Error('timer trigger has no schedule');
    const schedule = parseNcrontab(this.resolveAppSetting(trigger.schedule));
    return { functionName, schedule, runOnStartup: trigger.runOnStartup === true, trigger, handler };
  }

  /** A schedule written `%NAME%` is read from the app setting NAME, as the Functions host does. */
  private resolveAppSetting(value: string): string {
    const setting = /^%([^%]+)%$/.exec(value)?.[1];
    if (setting === undefined) return value;
    const resolved = this.environment[setting];
    if (resolved === undefined) throw new Error(`app setting "${setting}" (used as ${value}) is not set`);
    return resolved;
  }
}

function findTrigger(metadata: CoreFunctionMetadata): FunctionTrigger {
  const triggers = Object.entries(metadata.bindings).filter(
    ([, binding]) => binding.direction === 'in' && binding.type.endsWith('Trigger'),
  );
  const [entry] = triggers;
  if (!entry || triggers.length > 1) {
    throw new Error(`Function "${metadata.name}" must have exactly one trigger binding, found ${triggers.length}`);
  }
  const [bindingName, binding] = entry;
  return { ...binding, name: typeof binding.name === 'string' ? binding.name : bindingName };
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index >= 0) list.splice(index, 1);
}
