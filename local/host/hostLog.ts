import { format } from 'node:util';
import type { LogHandler, LogLevel } from '@azure/functions';

/** Where the local host writes its own lines and the functions' `context.log` lines. */
export type HostLog = (level: LogLevel, source: string, message: string) => void;

const PROBLEM_LEVELS: ReadonlySet<LogLevel> = new Set(['warning', 'error', 'critical']);

export function isProblemLevel(level: LogLevel): boolean {
  return PROBLEM_LEVELS.has(level);
}

/**
 * `[level] source: message`, problems to stderr, the rest to stdout. A structured line (a JSON
 * object, such as an audit event) is written as it is, so it stays one parsable JSON line.
 */
export const consoleHostLog: HostLog = (level, source, message) => {
  if (level === 'none') return;
  const stream = isProblemLevel(level) ? process.stderr : process.stdout;
  stream.write(message.startsWith('{') ? `${message}\n` : `[${level}] ${source}: ${message}\n`);
};

/** The `logHandler` of an InvocationContext: formats arguments like console.log does. */
export function invocationLogHandler(log: HostLog, functionName: string): LogHandler {
  return (level, ...args) => log(level, functionName, format(...args));
}

export function describeError(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}
