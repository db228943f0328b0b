import { z } from 'zod';
import { parseIsoDuration } from '../time/duration';
import { parseIsoDateTime } from '../time/isoDateTime';

/**
 * Rules every path value obeys, checked on the decoded value (the Functions host decodes `%2F`
 * into `/` inside one segment, so a value must be refused here rather than trusted).
 */
const pathValue = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !/[/\\%\p{Cc}]/u.test(value), 'must not contain /, \\, % or control characters')
    .refine((value) => value !== '.' && value !== '..', "must not be '.' or '..'");

export const serviceAliasSchema = pathValue(80);

export const gatewayIdSchema = pathValue(80).refine((value) => value.toLowerCase() !== 'managed', "must not be 'managed'");

export const authsidSchema = pathValue(80).regex(/^[^*#&+:<>?]+$/, 'must not contain any of * # & + : < > ?');

export const ssoTokenPathSchema = z.object({ service: serviceAliasSchema });
export const gatewayPathSchema = z.object({ service: serviceAliasSchema, gatewayId: gatewayIdSchema });
export const authorizationServerPathSchema = z.object({ service: serviceAliasSchema, authsid: authsidSchema });

/** `POST .../sso-token` takes no options: an empty body or `{}`. */
export const ssoTokenBodySchema = z.strictObject({});

export const gatewayTokenBodySchema = z.strictObject({
  keyType: z.enum(['primary', 'secondary'], { error: "must be 'primary' or 'secondary'" }).default('primary'),
  expiry: z
    .string({ error: 'must be a string' })
    .refine(
      (value) => parseIsoDateTime(value) !== undefined,
      'must be an ISO 8601 date-time with Z or an offset, e.g. 2026-12-01T00:00:00Z',
    )
    .optional(),
  minValidity: z
    .string({ error: 'must be a string' })
    .transform((value, ctx) => {
      const ms = parseIsoDuration(value);
      if (ms === undefined) {
        ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 duration such as PT1H or P20D' });
        return z.NEVER;
      }
      return ms;
    })
    .optional(),
});

const licenseSpringText = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

export const licenseSpringSsoQuerySchema = z.strictObject({
  product: licenseSpringText,
  customer_account_code: licenseSpringText,
  response_type: z.enum(['code', 'token'], { error: "must be 'code' or 'token'" }).default('code'),
});
