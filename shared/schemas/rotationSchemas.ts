import { z } from 'zod';
import { authsidSchema, gatewayPathSchema } from './requestSchemas';

/** `?name=true|false`, absent meaning false; anything else is refused, naming the parameter. */
const booleanQuery = z
  .enum(['true', 'false'], { error: "must be 'true' or 'false'" })
  .optional()
  .transform((value) => value === 'true');

export const rotationRunQuerySchema = z.strictObject({ dryRun: booleanQuery });
export const gatewayRotateQuerySchema = z.strictObject({ force: booleanQuery });
export const noQuerySchema = z.strictObject({});
export { gatewayPathSchema };

/** A run id is the broker's own UUID; anything else cannot name a run. */
export const runPathSchema = z.object({
  runId: authsidSchema.pipe(z.uuid({ error: 'must be a run id (a UUID) from a 202 Location' })),
});

/**
 * `Idempotency-Key`: a retry with the same key (and caller) within an hour returns the first answer.
 * 1–128 visible ASCII characters, as the IETF draft's examples use.
 */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,128}$/, 'must be 1-128 visible ASCII characters')
  .optional();

const keyTypeSchema = z.enum(['primary', 'secondary']);
const errorSchema = z.object({ code: z.string(), message: z.string() });

export const targetOutcomeSchema = z.object({
  service: z.string(),
  gatewayId: z.string(),
  due: z.boolean(),
  action: z.enum(['rotated', 'notDue', 'skipped', 'failed', 'wouldRotate']),
  keyType: keyTypeSchema.optional(),
  expiresOn: z.string().optional(),
  rotationId: z.string().optional(),
  error: errorSchema.optional(),
});

export const rotationReportSchema = z.object({
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  targets: z.array(targetOutcomeSchema),
});

export const runAcceptedSchema = z.object({ runId: z.string(), status: z.literal('running'), startedAt: z.string() });

export const tokenStatusSchema = z.object({
  service: z.string(),
  gatewayId: z.string(),
  secretName: z.string(),
  version: z.string().optional(),
  keyType: keyTypeSchema.optional(),
  expiresOn: z.string().optional(),
  rotatedAt: z.string().optional(),
  rotationId: z.string().optional(),
  lastRun: z
    .object({ at: z.string(), runId: z.string(), action: targetOutcomeSchema.shape.action, error: errorSchema.optional() })
    .optional(),
});

export const readinessSchema = z.object({
  status: z.enum(['ready', 'notReady']),
  targets: z.array(
    z.object({
      service: z.string(),
      gatewayId: z.string(),
      state: z.enum(['ok', 'missing', 'nearExpiry', 'stale', 'storeUnavailable']),
      expiresOn: z.string().optional(),
      lastSuccessAt: z.string().optional(),
    }),
  ),
  configuration: z.enum(['ok', 'invalid']),
});

export type TargetOutcome = z.infer<typeof targetOutcomeSchema>;
export type RotationReport = z.infer<typeof rotationReportSchema>;
export type TokenStatus = z.infer<typeof tokenStatusSchema>;
export type Readiness = z.infer<typeof readinessSchema>;
