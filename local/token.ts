import { parseTokenArgs } from './emulators/issuer/tokenArgs';

/**
 * `npm run token -- --roles A,B [...]`: a caller token from the local issuer of the running
 * `npm start` (on `PORT`, default 7071), printed alone so `export TOKEN=$(npm run -s token -- ...)` works.
 */
async function main(): Promise<void> {
  const parsed = parseTokenArgs(process.argv.slice(2));
  if (!parsed.ok) {
    console.error(parsed.message);
    process.exit(2);
  }
  const port = process.env.PORT ?? '7071';
  const response = await fetch(`http://127.0.0.1:${port}/_local/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(parsed.options),
  }).catch(() => undefined);
  if (!response) throw new Error(`No local broker answers on port ${port}: start it with npm start (PORT sets another port).`);
  const body = (await response.json()) as { token?: string; error?: { message: string } };
  if (!body.token) throw new Error(body.error?.message ?? `the local host answered ${response.status}`);
  console.log(body.token);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
