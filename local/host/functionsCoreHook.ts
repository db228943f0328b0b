import Module from 'node:module';
import path from 'node:path';
import { FunctionRegistry, type Registrations } from './functionRegistry';

const CORE_MODULE = '@azure/functions-core';

type ModuleLoad = (request: string, parent: unknown, isMain: boolean) => unknown;
const moduleInternals = Module as unknown as { _load: ModuleLoad };

/** The registry `require('@azure/functions-core')` returns once the hook is installed. */
export const functionsCore = new FunctionRegistry();

let hookInstalled = false;

/**
 * Makes `require('@azure/functions-core')` return {@link functionsCore}. `@azure/functions` asks
 * for that module once, lazily, on its first registration, and remembers a failure as "test mode"
 * (registering nothing); so install the hook before any function file runs. Idempotent.
 */
export function installFunctionsCoreHook(): void {
  if (hookInstalled) return;
  const load = moduleInternals._load;
  moduleInternals._load = function loadWithFunctionsCore(this: unknown, request, parent, isMain) {
    if (request === CORE_MODULE) return functionsCore;
    return load.call(this, request, parent, isMain);
  };
  hookInstalled = true;
}

/**
 * Installs the hook, then requires the compiled function files (see expandMainGlob) so their
 * `app.http` / `app.timer` calls land in {@link functionsCore}. Throws when nothing registered,
 * which is what happens when `@azure/functions` went into test mode before the hook existed.
 */
export function loadFunctionApp(files: readonly string[]): Registrations {
  installFunctionsCoreHook();
  for (const file of files) require(path.resolve(file));
  const registrations = functionsCore.registrations();
  if (registrations.http.length === 0 && registrations.timers.length === 0) {
    throw new Error(
      `No function was registered by ${files.length === 0 ? 'an empty file list' : files.join(', ')}. ` +
        `If "@azure/functions" printed a "test mode" warning, it looked for ${CORE_MODULE} before the local host's hook was installed.`,
    );
  }
  return registrations;
}
