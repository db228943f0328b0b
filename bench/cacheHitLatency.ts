import { performance } from 'node:perf_hooks';
import { gatewayTokenHandler } from '../functions/gatewayToken';
import { invoke, startInProcessBroker } from './inProcessBroker';
import { percentile } from './stats';

const GATEWAY_TOKEN = {
  method: 'POST',
  path: '/api/apim/apimService1/gateways/gw1/token',
  params: { service: 'apimService1', gatewayId: 'gw1' },
};

/** Issue 4: latency of a cache hit through the gateway-token handler, in process. */
export async function cacheHitLatency(requests = 100_000): Promise<string[]> {
  const { environment, authorization } = await startInProcessBroker();
  const request = { ...GATEWAY_TOKEN, authorization };
  try {
    if ((await invoke(gatewayTokenHandler, request)) !== 200) throw new Error('warm-up request failed');
    const mintsBefore = environment.upstreamCalls().arm?.Gateway_GenerateToken ?? 0;
    const samples = new Float64Array(requests);
    for (let i = 0; i < requests; i += 1) {
      const started = performance.now();
      await invoke(gatewayTokenHandler, request);
      samples[i] = performance.now() - started;
    }
    const values = Array.from(samples);
    const mintsDuring = (environment.upstreamCalls().arm?.Gateway_GenerateToken ?? 0) - mintsBefore;
    return [
      `Cache-hit latency through the gateway-token handler, in process, ${requests.toLocaleString('en')} requests:`,
      `  p50 ${(percentile(values, 50) * 1000).toFixed(1)} µs   p99 ${(percentile(values, 99) * 1000).toFixed(1)} µs`,
      `  upstream mints during the run: ${mintsDuring}`,
    ];
  } finally {
    await environment.stop();
  }
}
