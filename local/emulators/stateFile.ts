import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** What an emulator kept in its state file, or undefined before the file's first write. */
export function readStateFile<T>(file: string): T | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as T) : undefined;
}

/**
 * Writes an emulator's state, creating the folder when it is missing. Written to a temporary file
 * first, so a crash never leaves a half-written state behind.
 */
export function writeStateFile(file: string, state: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.tmp`;
  writeFileSync(temporary, JSON.stringify(state, null, 2));
  renameSync(temporary, file);
}
