import { REQUIRED_SETTINGS } from '../../../shared/config/requiredSettings';
import { missingSettingsReport } from '../../../shared/startupCheck';

describe('the start-up check of the function app', () => {
  it('names every missing required setting in one JSON log line', () => {
    const report = missingSettingsReport({ BROKER_LICENSESPRING_API_KEY: 'secret-api-key', BROKER_AUDIT_HMAC_KEY: '' });
    const missing = Object.keys(REQUIRED_SETTINGS).filter((name) => name !== 'BROKER_LICENSESPRING_API_KEY');
    expect(JSON.parse(report ?? '{}')).toEqual({
      event: 'configurationInvalid',
      missingSettings: missing,
      message: `Required settings are missing: ${missing.join(', ')}. Every route but health answers 503 ConfigurationInvalid until they are set.`,
    });
    expect(report).not.toContain('secret-api-key');
  });

  it('adds the settings Azure requires when it runs there, and says nothing when all are set', () => {
    const everything = Object.fromEntries(Object.keys(REQUIRED_SETTINGS).map((name) => [name, 'set']));
    expect(missingSettingsReport(everything)).toBeUndefined();
    expect(JSON.parse(missingSettingsReport({ ...everything, WEBSITE_INSTANCE_ID: 'abc' }) ?? '{}').missingSettings).toEqual([
      'BROKER_LICENSESPRING_PUBLIC_KEY',
      'BROKER_KEY_VAULT_URL',
    ]);
  });
});
