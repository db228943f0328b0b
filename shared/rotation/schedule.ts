/**
 * Every hour on the hour: the rotation timer's default NCRONTAB schedule (seconds first). In a module
 * of its own, so the timer's registration reads it without loading the configuration schema.
 */
export const DEFAULT_ROTATION_SCHEDULE = '0 0 * * * *';
