import { app } from '@azure/functions';
import { missingRequiredSettings } from './config/requiredSettings';

/**
 * The line a misconfigured app writes when the host starts it: every missing required setting,
 * once, before any request. Full validation (zod) stays on first use, since it would grow the
 * cold start; until the settings are fixed every route but health answers 503 `ConfigurationInvalid`.
 */
export function missingSettingsReport(env: NodeJS.ProcessEnv): string | undefined {
  const missing = missingRequiredSettings(env);
  if (missing.length === 0) return undefined;
  return JSON.stringify({
    event: 'configurationInvalid',
    missingSettings: missing,
    message: `Required settings are missing: ${missing.join(', ')}. Every route but health answers 503 ConfigurationInvalid until they are set.`,
  });
}

// Every function file imports this module; Node loads it once, so the hook is registered once.
app.hook.appStart(() => {
  const report = missingSettingsReport(process.env);
  if (report !== undefined) console.error(report);
});
