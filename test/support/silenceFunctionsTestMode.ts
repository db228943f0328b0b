/**
 * Outside the Functions host, `@azure/functions` runs in "test mode" and warns once per module load
 * and once per `app.http` call that it registers nothing. That is expected in jest (the handlers are
 * called directly), so those lines are dropped; every other warning still shows.
 */
const TEST_MODE_WARNING = /^WARNING: (Failed to detect the Azure Functions runtime|Skipping call to register .*test mode\.)/;

const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && TEST_MODE_WARNING.test(args[0])) return;
  warn(...args);
};
