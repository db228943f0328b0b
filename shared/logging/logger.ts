import type { InvocationContext } from '@azure/functions';

export type LogEvent = Record<string, unknown> & { event: string };

/** Structured log lines (one JSON object each). Callers pass facts, never token values or keys. */
export interface Logger {
  info(event: LogEvent): void;
  warn(event: LogEvent): void;
  error(event: LogEvent): void;
}

export function invocationLogger(context: InvocationContext, requestId: string): Logger {
  const line = (event: LogEvent) => JSON.stringify({ ...event, requestId });
  return {
    info: (event) => context.info(line(event)),
    warn: (event) => context.warn(line(event)),
    error: (event) => context.error(line(event)),
  };
}
