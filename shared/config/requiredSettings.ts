/**
 * The settings the broker cannot run without, each with what it must hold. The zod schema takes
 * its "is required" messages from here and the start-up check reads the names, so this module
 * stays free of zod and of everything else that would grow the cold start.
 */
export const REQUIRED_SETTINGS = {
  BROKER_APIM_SERVICES: 'a JSON object mapping each service alias to its API Management resource ID',
  BROKER_LICENSESPRING_API_KEY: 'the LicenseSpring API key',
  BROKER_LICENSESPRING_SHARED_KEY: 'the LicenseSpring shared key',
  BROKER_AUTH_TENANT_ID: "the Entra tenant (directory) ID callers' tokens come from",
  BROKER_AUTH_AUDIENCES: "the broker's application ID URI and/or client ID, comma-separated",
  BROKER_AUDIT_HMAC_KEY: 'a base64 key of at least 32 bytes for audit fingerprints',
} as const;

/** Optional locally, required in Azure (where App Service sets `WEBSITE_INSTANCE_ID`), with the reason. */
export const REQUIRED_IN_AZURE = {
  BROKER_LICENSESPRING_PUBLIC_KEY: 'LicenseSpring responses must be verified',
  BROKER_KEY_VAULT_URL: 'tokens are cached in Key Vault',
} as const;

export type RequiredSetting = keyof typeof REQUIRED_SETTINGS;

export function runsInAzure(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.WEBSITE_INSTANCE_ID);
}

/** The schema's message for a required setting that is absent. */
export function requiredMessage(name: RequiredSetting): string {
  return `is required: ${REQUIRED_SETTINGS[name]}`;
}

/** Names of the required settings that are unset; blank counts as unset, as in App Service application settings. */
export function missingRequiredSettings(env: NodeJS.ProcessEnv): string[] {
  const required = [...Object.keys(REQUIRED_SETTINGS), ...(runsInAzure(env) ? Object.keys(REQUIRED_IN_AZURE) : [])];
  return required.filter((name) => !env[name]);
}
