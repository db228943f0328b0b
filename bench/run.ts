import { coldStart } from './coldStart';
import { startup } from './startup';

/** `npm run bench`: every benchmark the issues ask for, printed as one report. */
async function main(): Promise<void> {
  for (const bench of [startup, coldStart]) {
    for (const line of await bench()) console.log(line);
    console.log('');
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
