import { type HttpHandler, HttpRequest, InvocationContext } from '@azure/functions';
import { LocalEnvironment } from '../local/localEnvironment';

export interface InProcessBroker {
  environment: LocalEnvironment;
  /** `Bearer <token>` of a caller with every app role. */
  authorization: string;
}

/**
 * Emulators in this process and the broker configured for them, so a benchmark can call the
 * function handlers directly (no HTTP in front) and read the emulators' call counts. The mint
 * limit is lifted: these benchmarks measure the cache, not the limiter.
 */
export async function startInProcessBroker(): Promise<InProcessBroker> {
  const environment = await LocalEnvironment.start();
  Object.assign(process.env, environment.brokerSettings(), { BROKER_MINT_LIMIT_PER_MINUTE: '10000' });
  return { environment, authorization: `Bearer ${await environment.callerToken()}` };
}

const quietContext = () => new InvocationContext({ invocationId: 'bench', functionName: 'bench', logHandler: () => undefined });

export async function invoke(
  handler: HttpHandler,
  request: { method: string; path: string; params: Record<string, string>; body?: string; authorization: string },
): Promise<number> {
  const response = await handler(
    new HttpRequest({
      method: request.method,
      url: `http://127.0.0.1:7071${request.path}`,
      params: request.params,
      headers: { authorization: request.authorization, ...(request.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(request.body === undefined ? {} : { body: { string: request.body } }),
    }),
    quietContext(),
  );
  return (response as { status?: number }).status ?? 200;
}
