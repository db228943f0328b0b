import fs from 'node:fs';
import path from 'node:path';

/**
 * Expands a package.json `main` the way the Functions host reads it, for the forms a function app
 * uses: a file (`dist/index.js`) or a `*` pattern in the file name (`dist/functions/*.js`).
 * Wildcards in directory names are refused rather than half-supported. Files come back absolute
 * and sorted, so registration order does not depend on the file system.
 */
export function expandMainGlob(pattern: string, baseDir: string): string[] {
  const absolute = path.resolve(baseDir, pattern);
  const directory = path.dirname(absolute);
  const fileName = path.basename(absolute);
  if (directory.includes('*')) throw new Error(`main "${pattern}": wildcards are supported in the file name only`);
  if (!fileName.includes('*')) {
    if (!fs.existsSync(absolute)) throw new Error(`main "${pattern}": ${absolute} does not exist (was the project built?)`);
    return [absolute];
  }
  const matcher = new RegExp(`^${fileName.split('*').map(escapeRegExp).join('[^/]*')}$`);
  const files = fs.existsSync(directory)
    ? fs.readdirSync(directory, { withFileTypes: true }).filter((entry) => entry.isFile() && matcher.test(entry.name))
    : [];
  if (files.length === 0) throw new Error(`main "${pattern}" matches no file in ${directory} (was the project built?)`);
  return files.map((entry) => path.join(directory, entry.name)).sort();
}

/** The function files named by `main` in `<projectDir>/package.json`. */
export function functionFilesFromPackageMain(projectDir: string): string[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(projectDir, 'package.json'), 'utf8')) as { main?: unknown };
  if (typeof manifest.main !== 'string') throw new Error(`${projectDir}/package.json has no "main"`);
  return expandMainGlob(manifest.main, projectDir);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
