import { z } from 'zod';
import { parseIsoDuration } from '../time/duration';

/**
 * The building blocks of the configuration schema: one setting each, read from the environment as
 * App Service hands it (strings; blank means unset), with the default and the rule in one place.
 */

/** Environment values that are blank count as unset, as in App Service application settings. */
export const setting = () => z.preprocess((value) => (value === '' ? undefined : value), z.string().optional());

export const httpsUrl = (fallback: string) =>
  setting()
    .transform((value) => value ?? fallback)
    .pipe(z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).transform((value) => value.replace(/\/+$/, '')));

export const isoDuration = z.string().transform((value, ctx) => {
  const ms = parseIsoDuration(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `'${value}' is not an ISO 8601 duration such as PT60S or P20D` });
    return z.NEVER;
  }
  return ms;
});

export const duration = (fallback: string) =>
  setting()
    .transform((value) => value ?? fallback)
    .pipe(isoDuration);

export const optionalDuration = () => setting().pipe(isoDuration.optional());

/** JSON text, or one issue saying what shape it must have. */
export const jsonText = (shape: string) =>
  z.string().transform((text, ctx): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: `must be ${shape}` });
      return z.NEVER;
    }
  });

export const integer = (fallback: number, min: number, max: number) =>
  setting()
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .pipe(z.number({ error: 'must be a whole number' }).int('must be a whole number').min(min).max(max));

/** `true` or `false`, else one issue saying so. */
export const flag = (fallback: boolean) =>
  setting()
    .transform((value) => value ?? String(fallback))
    .pipe(z.enum(['true', 'false'], { error: "must be 'true' or 'false'" }).transform((value) => value === 'true'));
