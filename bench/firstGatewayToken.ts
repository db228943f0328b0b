import { HttpRequest, InvocationContext } from '@azure/functions';
import { gatewayTokenHandler } from '../functions/gatewayToken';

/** A fresh process's first gateway-token request, in process; exits non-zero unless it got a token. */
async function main(): Promise<void> {
  const request = new HttpRequest({
    method: 'POST',
    url: 'http://127.0.0.1:7071/api/apim/apimService1/gateways/gw1/token',
    params: { service: 'apimService1', gatewayId: 'gw1' },
    headers: { authorization: `Bearer ${process.env.BENCH_CALLER_TOKEN}` },
  });
  const context = new InvocationContext({ invocationId: 'bench', functionName: 'gatewayToken', logHandler: () => undefined });
  const response = await gatewayTokenHandler(request, context);
  if ((response as { status?: number }).status !== 200) {
    console.error(JSON.stringify(response));
    process.exit(2);
  }
}

main().then(
  () => process.exit(0),
  () => process.exit(1),
);
