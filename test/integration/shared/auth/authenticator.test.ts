import { createDefaultHttpClient } from '@azure/core-rest-pipeline';
import { HttpRequest } from '@azure/functions';
import type { LocalEnvironment } from '../../../../local/localEnvironment';
import { JwtAuthenticator } from '../../../../shared/auth/authenticator';
import { JwksKeyStore } from '../../../../shared/auth/jwksKeyStore';
import { JWKS_RETRY } from '../../../../shared/broker';
import { loadConfig } from '../../../../shared/config/loadConfig';
import { parseJsonBody, UpstreamPipeline } from '../../../../shared/upstreams/upstreamPipeline';
import { startBrokerEnvironment } from '../../../support/brokerEnvironment';
import { recordingLogger, TestClock } from '../../../support/testClock';

let env: LocalEnvironment;
const clock = new TestClock();

beforeAll(async () => {
  env = await startBrokerEnvironment({ issuer: { clock } });
});
afterAll(() => env.stop());

/** The real key store, counting how often a token's signature had to be checked against it. */
class CountingKeyStore extends JwksKeyStore {
  lookups = 0;

  override async key(...args: Parameters<JwksKeyStore['key']>) {
    this.lookups += 1;
    return super.key(...args);
  }
}

function authenticator(maxVerifiedTokens: number) {
  const { auth } = loadConfig(process.env);
  const keys = new CountingKeyStore({
    clock,
    minRefreshMs: 60_000,
    fetchJwks: async () => {
      const pipeline = new UpstreamPipeline({ retry: JWKS_RETRY, clock, httpClient: createDefaultHttpClient(), caCert: env.tls.cert });
      return parseJsonBody(await pipeline.send({ method: 'GET', url: auth.jwksUrl, requestId: 'test' }));
    },
  });
  return { keys, jwt: new JwtAuthenticator(auth, keys, { clockSkewMs: 60_000, clock, maxVerifiedTokens }) };
}

const request = (token: string) =>
  new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/x', headers: { authorization: `Bearer ${token}` } });

describe('the memory of verified caller tokens', () => {
  it('keeps at most its bound, the least recently used going first, and forgets a token after five minutes', async () => {
    const { keys, jwt } = authenticator(2);
    const tokens = await Promise.all([1, 2, 3].map((n) => env.callerToken({ oid: `bbbbbbbb-0000-0000-0000-00000000000${n}` })));
    const [a, b, c] = tokens.map(request);
    for (const call of [a, b, a, b]) await jwt.authenticate(call as HttpRequest, recordingLogger());
    expect(keys.lookups).toBe(2);
    await jwt.authenticate(c as HttpRequest, recordingLogger());
    await jwt.authenticate(b as HttpRequest, recordingLogger());
    expect(keys.lookups).toBe(3);
    await jwt.authenticate(a as HttpRequest, recordingLogger());
    expect(keys.lookups).toBe(4);
    clock.advance(5 * 60_000);
    await jwt.authenticate(a as HttpRequest, recordingLogger());
    expect(keys.lookups).toBe(5);
  });
});
