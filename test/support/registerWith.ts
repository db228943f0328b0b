import type * as AzureFunctions from '@azure/functions';
import type { FunctionRegistry } from '../../local/host/functionRegistry';

/**
 * Runs `register` against a fresh copy of `@azure/functions` whose `@azure/functions-core` is
 * `registry`, so the test sees the metadata and hook callbacks the real library produces. The
 * library looks the core module up lazily, on its first registration, so that must happen inside
 * the isolated registry. (jest's module registry bypasses the Module._load hook; the hook itself
 * is tested in a child process, see loadFunctionApp.test.ts.)
 */
export function registerWith(registry: FunctionRegistry, register: (library: typeof AzureFunctions) => void): void {
  jest.isolateModules(() => {
    jest.doMock('@azure/functions-core', () => registry, { virtual: true });
    register(require('@azure/functions') as typeof AzureFunctions);
  });
}
