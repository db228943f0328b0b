import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const runner = path.join(__dirname, '../../../fixtures/local-host/runLocalHost.js');

/** Runs one scenario of the runner in a plain `node` process and returns its JSON line. */
async function runScenario(scenario: string): Promise<Record<string, unknown>> {
  const { stdout } = await promisify(execFile)(process.execPath, [runner, scenario], { timeout: 15_000 });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

describe('loadFunctionApp in a plain Node process', () => {
  it('captures the registrations of unchanged function files and serves them', async () => {
    const result = await runScenario('serve');
    expect(result).toEqual({
      files: ['hello.js', 'rotate.js'],
      functions: ['GET http://127.0.0.1:7071/api/hello/{name}', 'TIMER 0 0 3 * * * rotate'],
      response: { status: 200, body: { greeting: 'hello World', requestId: 'child-1' } },
      logLines: ['[information] hello: greeting World'],
    });
  });

  it('fails loudly when @azure/functions went into test mode before the hook was installed', async () => {
    const result = await runScenario('registerBeforeHook');
    expect(result.error).toMatch(
      /^No function was registered by .*hello\.js, .*rotate\.js\. If "@azure\/functions" printed a "test mode" warning/,
    );
  });
});
