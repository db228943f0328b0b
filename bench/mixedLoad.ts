import { authorizationServerHandler } from '../functions/authorizationServer';
import { gatewayTokenHandler } from '../functions/gatewayToken';
import { licenseSpringSsoUrlHandler } from '../functions/licenseSpringSsoUrl';
import { ssoTokenHandler } from '../functions/ssoToken';
import { invoke, startInProcessBroker } from './inProcessBroker';

const sum = (counts: Record<string, number> | undefined) => Object.values(counts ?? {}).reduce((a, b) => a + b, 0);

/**
 * Issue 4: upstream and Key Vault calls per 10,000 mixed requests, 50 in flight: gateway tokens
 * for 2 gateways × 2 keys (70 %), SSO tokens (15 %), the authorization server (10 %) and
 * LicenseSpring SSO URLs, which are never cached (5 %).
 */
export async function mixedLoad(requests = 10_000, concurrency = 50): Promise<string[]> {
  const { environment, authorization } = await startInProcessBroker();
  const mix = (i: number) => {
    const slot = i % 20;
    if (slot < 14) {
      const gatewayId = slot % 2 ? 'gw1' : 'gw2';
      const keyType = slot % 4 < 2 ? 'primary' : 'secondary';
      return invoke(gatewayTokenHandler, {
        method: 'POST',
        path: `/api/apim/apimService1/gateways/${gatewayId}/token`,
        params: { service: 'apimService1', gatewayId },
        body: JSON.stringify({ keyType }),
        authorization,
      });
    }
    if (slot < 17) {
      return invoke(ssoTokenHandler, {
        method: 'POST',
        path: '/api/apim/apimService1/sso-token',
        params: { service: 'apimService1' },
        authorization,
      });
    }
    if (slot < 19) {
      return invoke(authorizationServerHandler, {
        method: 'GET',
        path: '/api/apim/apimService1/authorization-servers/newauthServer2',
        params: { service: 'apimService1', authsid: 'newauthServer2' },
        authorization,
      });
    }
    return invoke(licenseSpringSsoUrlHandler, {
      method: 'GET',
      path: '/api/licensespring/sso-url?product=demo&customer_account_code=acme',
      params: {},
      authorization,
    });
  };
  try {
    let next = 0;
    let failures = 0;
    const worker = async () => {
      while (next < requests) {
        const status = await mix(next++);
        if (status !== 200) failures += 1;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    const calls = environment.upstreamCalls();
    return [
      `Upstream and Key Vault calls per ${requests.toLocaleString('en')} mixed requests (${concurrency} in flight, ${failures} non-200):`,
      `  ARM: ${sum(calls.arm)} ${JSON.stringify(calls.arm)}`,
      `  LicenseSpring (never cached): ${sum(calls.licensespring)}`,
      `  Key Vault: ${sum(calls.keyvault)} ${JSON.stringify(calls.keyvault)}`,
    ];
  } finally {
    await environment.stop();
  }
}
