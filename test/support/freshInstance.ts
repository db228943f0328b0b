/**
 * Loads a function module into a reset module registry: a new broker instance with an empty
 * memory cache, as a fresh Functions worker would have, while the emulators and settings stay.
 * (Not `jest.isolateModules`: the function files load the broker lazily, after such a scope ends.)
 */
export function freshInstance<T>(load: () => T): T {
  jest.resetModules();
  return load();
}
