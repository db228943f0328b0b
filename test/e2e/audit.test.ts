import { createHmac, randomBytes } from 'node:crypto';
import { useLocalBroker } from '../support/localBroker';
import { fetchWithin } from './support/http';

const AUDIT_KEY = randomBytes(32);
const broker = useLocalBroker({ env: { BROKER_AUDIT_HMAC_KEY: AUDIT_KEY.toString('base64') } });

const fingerprint = (secret: string) => `hmac-sha256:${createHmac('sha256', AUDIT_KEY).update(secret).digest('base64url')}`;

interface AuditEvent {
  event: 'audit';
  outcome: 'issued' | 'denied';
  operation: string;
  status: number;
  caller: { id: string } | null;
  fingerprint?: string;
  cache?: string;
  requestId: string;
}

async function send(path: string, init: { method?: string; token?: string; body?: unknown; requestId: string }) {
  const response = await fetchWithin(`${broker().api}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'x-request-id': init.requestId,
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function callerToken(roles: string[]): Promise<string> {
  const response = await fetchWithin(`${broker().url}/_local/token`, { method: 'POST', body: JSON.stringify({ roles }) });
  return ((await response.json()) as { token: string }).token;
}

describe('audit over a full local run (every log line of the local host)', () => {
  it('records each issuance once with a matching fingerprint, each denial once, and logs no secret', async () => {
    const devToken = broker().authorization.slice('Bearer '.length);
    const ssoOnly = await callerToken(['Broker.SsoToken']);
    const issued: { requestId: string; secret: string }[] = [];
    const expectIssued = async (
      requestId: string,
      path: string,
      secretOf: (body: Record<string, unknown>) => unknown,
      method = 'POST',
      body?: unknown,
    ) => {
      const answer = await send(path, { method, token: devToken, requestId, body });
      expect(answer.status).toBe(200);
      issued.push({ requestId, secret: String(secretOf(answer.body)) });
    };

    await expectIssued('audit-gw-miss', '/apim/apimService1/gateways/gw1/token', (b) => b.value);
    await expectIssued('audit-gw-hit', '/apim/apimService1/gateways/gw1/token', (b) => b.value);
    await expectIssued('audit-gw-expiry', '/apim/apimService1/gateways/gw2/token', (b) => b.value, 'POST', {
      keyType: 'secondary',
      expiry: new Date(Date.now() + 86_400_000).toISOString(),
    });
    await expectIssued('audit-sso', '/apim/apimService1/sso-token', (b) => b.redirectUri);
    await expectIssued('audit-ls', '/licensespring/sso-url?product=demo&customer_account_code=acme', (b) => b.url, 'GET');
    expect((await send('/apim/apimService1/gateways/gw1/token', { method: 'POST', requestId: 'audit-no-token' })).status).toBe(401);
    expect(
      (await send('/apim/apimService1/gateways/gw1/token', { method: 'POST', token: ssoOnly, requestId: 'audit-wrong-role' })).status,
    ).toBe(403);
    expect(
      (await send('/apim/apimService1/gateways/gw1/token', { method: 'POST', token: `${devToken}x`, requestId: 'audit-bad-signature' }))
        .status,
    ).toBe(401);

    await broker().stop();
    const output = `${broker().stdout()}\n${broker().stderr()}`;
    const logLines = output.slice(output.indexOf('Ready on')).split('\n');
    const events = logLines
      .filter((line) => line.startsWith('{') && line.includes('"event":"audit"'))
      .map((line) => JSON.parse(line) as AuditEvent);

    for (const { requestId, secret } of issued) {
      const forRequest = events.filter((event) => event.requestId === requestId);
      expect(forRequest).toEqual([expect.objectContaining({ outcome: 'issued', status: 200, fingerprint: fingerprint(secret) })]);
    }
    expect(events.find((event) => event.requestId === 'audit-gw-miss')?.cache).toBe('miss');
    expect(events.find((event) => event.requestId === 'audit-gw-hit')?.cache).toBe('hit');
    for (const [requestId, status] of [
      ['audit-no-token', 401],
      ['audit-wrong-role', 403],
      ['audit-bad-signature', 401],
    ] as const) {
      expect(events.filter((event) => event.requestId === requestId)).toEqual([expect.objectContaining({ outcome: 'denied', status })]);
    }
    expect(events).toHaveLength(issued.length + 3);

    const secrets = [
      ...issued.map(({ secret }) => secret),
      ...issued.map(({ secret }) => encodeURIComponent(secret)),
      devToken,
      devToken.split('.')[2] as string,
      ssoOnly,
      AUDIT_KEY.toString('base64'),
      AUDIT_KEY.toString('hex'),
    ];
    for (const secret of secrets) expect(logLines.some((line) => line.includes(secret))).toBe(false);
  });
});
