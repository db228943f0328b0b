import { z } from 'zod';
import { CONTROL_OR_FORMAT, SEPARATOR } from '../errors/visibleText';
import { parseIsoDuration } from '../time/duration';
import { DATE_TIME_LIMITS, parseIsoDateTime } from '../time/isoDateTime';

/**
 * The input rules in words, once: the validation messages here and, later, the OpenAPI
 * descriptions are made from these texts.
 */
export const INPUT_RULES = {
  notEmpty: 'must not be empty',
  maxLength: (max: number) => `must be at most ${max} characters`,
  pathCharacters: 'must not contain /, \\ or %',
  pathVisible: 'must not contain whitespace, control or invisible format characters (such as U+200B or U+202E)',
  notDotSegment: "must not be '.' or '..'",
  notManaged: "must not be 'managed' in any case or width (compared in Unicode NFKC form)",
  authsidCharacters: 'must not contain any of * # & + : < > ?',
  queryVisible: 'must not contain control or invisible format characters',
  keyType: "must be 'primary' or 'secondary'",
  expiry:
    'must be an ISO 8601 date-time with Z or an offset, e.g. 2026-12-01T00:00:00Z' +
    ` (years ${DATE_TIME_LIMITS.minYear}-${DATE_TIME_LIMITS.maxYear}, offsets at most ±${DATE_TIME_LIMITS.maxOffsetHours}:00)`,
  minValidity: 'must be an ISO 8601 duration such as PT1H or P20D',
  responseType: "must be 'code' or 'token'",
  string: 'must be a string',
} as const;

/** A look-alike in another width (`ｍａｎａｇｅｄ`, `．．`) means the same to anything that normalizes it later. */
const normalized = (value: string) => value.normalize('NFKC');

/**
 * Rules every path value obeys, checked on the decoded value (the Functions host decodes `%2F`
 * into `/` inside one segment, so a value must be refused here rather than trusted). The
 * structural rules hold for the NFKC form too.
 */
const pathValue = (max: number) =>
  z
    .string()
    .min(1, INPUT_RULES.notEmpty)
    .max(max, INPUT_RULES.maxLength(max))
    .refine((value) => !/[/\\%]/.test(normalized(value)), INPUT_RULES.pathCharacters)
    .refine((value) => !CONTROL_OR_FORMAT.test(value) && !SEPARATOR.test(value), INPUT_RULES.pathVisible)
    .refine((value) => !['.', '..'].includes(normalized(value)), INPUT_RULES.notDotSegment);

export const serviceAliasSchema = pathValue(80);

export const gatewayIdSchema = pathValue(80).refine((value) => normalized(value).toLowerCase() !== 'managed', INPUT_RULES.notManaged);

export const authsidSchema = pathValue(80).refine((value) => !/[*#&+:<>?]/.test(normalized(value)), INPUT_RULES.authsidCharacters);

export const ssoTokenPathSchema = z.object({ service: serviceAliasSchema });
export const gatewayPathSchema = z.object({ service: serviceAliasSchema, gatewayId: gatewayIdSchema });
export const authorizationServerPathSchema = z.object({ service: serviceAliasSchema, authsid: authsidSchema });

/** `POST .../sso-token` takes no options: an empty body or `{}`. */
export const ssoTokenBodySchema = z.strictObject({});

export const gatewayTokenBodySchema = z.strictObject({
  keyType: z.enum(['primary', 'secondary'], { error: INPUT_RULES.keyType }).optional(),
  expiry: z
    .string({ error: INPUT_RULES.string })
    .refine((value) => parseIsoDateTime(value) !== undefined, INPUT_RULES.expiry)
    .optional(),
  minValidity: z
    .string({ error: INPUT_RULES.string })
    .transform((value, ctx) => {
      const ms = parseIsoDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: INPUT_RULES.minValidity });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
});

/** Spaces are left to LicenseSpring: it documents no character rules for its codes. */
const licenseSpringText = z
  .string()
  .min(1, INPUT_RULES.notEmpty)
  .max(256, INPUT_RULES.maxLength(256))
  .refine((value) => !CONTROL_OR_FORMAT.test(value), INPUT_RULES.queryVisible);

export const licenseSpringSsoQuerySchema = z.strictObject({
  product: licenseSpringText,
  customer_account_code: licenseSpringText,
  response_type: z.enum(['code', 'token'], { error: INPUT_RULES.responseType }).default('code'),
});
