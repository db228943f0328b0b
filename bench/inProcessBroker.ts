import { HttpRequest, InvocationContext, type HttpHandler } from '@azure/functions';
import { LocalEnvironment } from '../local/localEnvironment';

/**
 * Emulators in this process and the broker configured for them, so a benchmark can call the
 * function handlers directly (no HTTP in front) and read the emulators' call counts.
 */
export async function startInProcessBroker(): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.start();
  Object.assign(process.env, environment.brokerSettings());
  return environment;
}

const quietContext = () => new InvocationContext({ invocationId: 'bench', functionName: 'bench', logHandler: () => undefined });

export async function invoke(
  handler: HttpHandler,
  request: { method: string; path: string; params: Record<string, string>; body?: string },
): Promise<number> {
  const response = await handler(
    new HttpRequest({
      method: request.method,
      url: `http://127.0.0.1:7071${request.path}`,
      params: request.params,
      headers: request.body === undefined ? {} : { 'content-type': 'application/json' },
      ...(request.body === undefined ? {} : { body: { string: request.body } }),
    }),
    quietContext(),
  );
  return (response as { status?: number }).status ?? 200;
}
