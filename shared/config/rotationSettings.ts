import { z } from 'zod';
import { publishedSecretName } from '../rotation/publishedSecretName';
import { DEFAULT_ROTATION_SCHEDULE } from '../rotation/schedule';
import { gatewayIdSchema } from '../schemas/requestSchemas';
import { durations, formatIsoDuration } from '../time/duration';
import { type NcrontabSchedule, parseNcrontab } from '../time/ncrontab';
import type { ApimService } from './apimServices';
import { duration, flag, jsonText, setting } from './settingSchemas';

const KEY_VAULT_SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;
const TARGETS_SHAPE = 'a JSON list of {"service": "<alias>", "gatewayId": "<id>", "secretName"?: "<name>", "format"?: "gateway-key"|"raw"}';

const targetSchema = z.strictObject({
  service: z.string().min(1),
  gatewayId: gatewayIdSchema,
  secretName: z.string().regex(KEY_VAULT_SECRET_NAME, 'must be a Key Vault secret name (letters, digits, -; at most 127)').optional(),
  format: z.enum(['gateway-key', 'raw']).default('gateway-key'),
});

/** The rotation's settings, by environment name; `rotationSettings` checks them against the rest. */
export const rotationEnvironment = {
  BROKER_ROTATION_TARGETS: setting().pipe(
    jsonText(TARGETS_SHAPE)
      .pipe(z.array(targetSchema, { error: `must be ${TARGETS_SHAPE}` }))
      .optional(),
  ),
  BROKER_ROTATION_SCHEDULE: setting()
    .transform((value) => value ?? DEFAULT_ROTATION_SCHEDULE)
    .pipe(
      z.string().transform((expression, ctx) => {
        try {
          return parseNcrontab(expression);
        } catch (error) {
          ctx.addIssue({ code: 'custom', message: `must be an NCRONTAB schedule: ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
    ),
  BROKER_ROTATION_ROTATE_BEFORE: duration('P20D'),
  BROKER_ROTATION_ALERT_BEFORE: duration('P10D'),
  BROKER_ROTATION_STALE_AFTER: duration('PT3H'),
  BROKER_ROTATION_REGENERATE_RETIRED_KEY: flag(false),
  BROKER_ROTATION_RETIRE_GRACE: duration('P7D'),
  BROKER_ROTATION_REVOKE_ENABLED: flag(true),
  BROKER_ROTATION_KEY_VAULT_URL: setting().pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional()),
  BROKER_ROTATION_CONTAINER: setting()
    .transform((value) => value ?? 'token-broker-rotation')
    .pipe(z.string().regex(/^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$/, 'must be a blob container name')),
  AzureWebJobsStorage__blobServiceUri: setting().pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional()),
};

type RotationEnvironment = z.output<z.ZodObject<typeof rotationEnvironment>>;

export interface RotationTarget {
  /** The alias as configured (the service's own spelling is in `service`). */
  alias: string;
  service: ApimService;
  gatewayId: string;
  secretName: string;
  format: 'gateway-key' | 'raw';
}

export interface RotationSettings {
  targets: RotationTarget[];
  schedule: NcrontabSchedule;
  rotateBeforeMs: number;
  alertBeforeMs: number;
  staleAfterMs: number;
  regenerateRetiredKey: boolean;
  retireGraceMs: number;
  revokeEnabled: boolean;
  /** The publish vault: the rotation's published tokens only. */
  keyVaultUrl?: string;
  storage?: { blobServiceUrl: string; container: string };
}

/**
 * Resolves the targets against the configured services and checks the rules that tie settings
 * together; each problem is reported on the setting it is about.
 */
export function rotationSettings(
  env: RotationEnvironment & { BROKER_KEY_VAULT_URL?: string },
  services: ReadonlyMap<string, ApimService>,
  maxLifetimeMs: number,
  problem: (setting: string, message: string) => void,
): RotationSettings {
  const targets: RotationTarget[] = [];
  const seen = new Set<string>();
  const names = new Set<string>();
  for (const target of env.BROKER_ROTATION_TARGETS ?? []) {
    const service = services.get(target.service.toLowerCase());
    if (!service) {
      problem('BROKER_ROTATION_TARGETS', `names service '${target.service}', which BROKER_APIM_SERVICES does not configure`);
      continue;
    }
    const identity = `${service.resourceId.toLowerCase()}|${target.gatewayId.toLowerCase()}`;
    const secretName = target.secretName ?? publishedSecretName(target.service, target.gatewayId);
    if (seen.has(identity)) problem('BROKER_ROTATION_TARGETS', `lists gateway '${target.gatewayId}' of '${target.service}' twice`);
    else if (names.has(secretName.toLowerCase())) problem('BROKER_ROTATION_TARGETS', `gives two targets the secret name '${secretName}'`);
    seen.add(identity);
    names.add(secretName.toLowerCase());
    targets.push({ alias: target.service, service, gatewayId: target.gatewayId, secretName, format: target.format });
  }

  const intervalMs = maxLifetimeMs - env.BROKER_ROTATION_ROTATE_BEFORE;
  if (intervalMs < durations.HOUR) {
    problem(
      'BROKER_ROTATION_ROTATE_BEFORE',
      `must leave at least an hour of the maximum gateway token lifetime (${formatIsoDuration(maxLifetimeMs)})`,
    );
  }
  if (env.BROKER_ROTATION_ALERT_BEFORE >= env.BROKER_ROTATION_ROTATE_BEFORE) {
    problem('BROKER_ROTATION_ALERT_BEFORE', 'must be shorter than BROKER_ROTATION_ROTATE_BEFORE: rotation must come before the alarm');
  }
  if (env.BROKER_ROTATION_RETIRE_GRACE >= intervalMs) {
    problem(
      'BROKER_ROTATION_RETIRE_GRACE',
      `must be shorter than the rotation interval (${formatIsoDuration(Math.max(0, intervalMs))}: the maximum lifetime less BROKER_ROTATION_ROTATE_BEFORE), or hygiene would never run`,
    );
  }
  const keyVaultUrl = (env.BROKER_ROTATION_KEY_VAULT_URL ?? env.BROKER_KEY_VAULT_URL)?.replace(/\/+$/, '');
  const blobServiceUrl = env.AzureWebJobsStorage__blobServiceUri?.replace(/\/+$/, '');
  if (targets.length > 0 && keyVaultUrl === undefined) {
    problem(
      'BROKER_ROTATION_KEY_VAULT_URL',
      'is required when rotation targets are configured (or BROKER_KEY_VAULT_URL): tokens are published there',
    );
  }
  if (targets.length > 0 && blobServiceUrl === undefined) {
    problem('AzureWebJobsStorage__blobServiceUri', 'is required when rotation targets are configured: leases and run records live there');
  }
  return {
    targets,
    schedule: env.BROKER_ROTATION_SCHEDULE,
    rotateBeforeMs: env.BROKER_ROTATION_ROTATE_BEFORE,
    alertBeforeMs: env.BROKER_ROTATION_ALERT_BEFORE,
    staleAfterMs: env.BROKER_ROTATION_STALE_AFTER,
    regenerateRetiredKey: env.BROKER_ROTATION_REGENERATE_RETIRED_KEY,
    retireGraceMs: env.BROKER_ROTATION_RETIRE_GRACE,
    revokeEnabled: env.BROKER_ROTATION_REVOKE_ENABLED,
    ...(keyVaultUrl === undefined ? {} : { keyVaultUrl }),
    ...(blobServiceUrl === undefined ? {} : { storage: { blobServiceUrl, container: env.BROKER_ROTATION_CONTAINER } }),
  };
}
