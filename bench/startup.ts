import path from 'node:path';
import { formatMs, median, timeUntil } from './stats';

const PROJECT = path.resolve(__dirname, '..', '..');

async function healthAnswers(output: string): Promise<boolean> {
  const url = /Ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
  if (!url) return false;
  try {
    return (await fetch(`${url}/api/health`)).status === 200;
  } catch {
    return false;
  }
}

/** Issue 2's figure: from `npm start` (and from the compiled entry alone) to the first 200 on /api/health. */
export async function startup(rounds = 5): Promise<string[]> {
  const env = { ...process.env, PORT: '0' };
  const npmStart: number[] = [];
  const compiledEntry: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    npmStart.push(await timeUntil('npm', ['start', '--silent'], { env, cwd: PROJECT }, healthAnswers));
    compiledEntry.push(await timeUntil(process.execPath, ['dist/local/start.js'], { env, cwd: PROJECT }, healthAnswers));
  }
  return [
    `Start-up to the first 200 on /api/health, medians of ${rounds}:`,
    `  npm start (build included)           ${formatMs(median(npmStart)).padStart(10)}`,
    `  node dist/local/start.js (built)     ${formatMs(median(compiledEntry)).padStart(10)}`,
  ];
}
