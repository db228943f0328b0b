import http from 'node:http';
import { type HttpHandler, type HttpRequest, HttpResponse, type InvocationContext } from '@azure/functions';
import { FunctionRegistry } from '../../../../local/host/functionRegistry';
import type { HostLog } from '../../../../local/host/hostLog';
import { formatFunctionList, type LocalHost, startLocalHost } from '../../../../local/host/startLocalHost';
import { rawExchange } from '../../../support/sockets';

interface LogLine {
  level: string;
  source: string;
  message: string;
}

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** Sends the request target exactly as written (fetch would normalize it first). */
function rawRequest(
  host: LocalHost,
  method: string,
  target: string,
  options: { headers?: http.OutgoingHttpHeaders; body?: Buffer | string } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: host.port, method, path: target, headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

function registerHttp(
  registry: FunctionRegistry,
  name: string,
  trigger: { route?: string; methods?: string[] },
  handler: HttpHandler,
): void {
  registry.registerFunction(
    {
      name,
      bindings: {
        request: { type: 'httpTrigger', direction: 'in', authLevel: 'anonymous', ...trigger },
        $return: { type: 'http', direction: 'out' },
      },
    },
    handler,
  );
}

/** What the echo function saw, sent back as JSON. */
async function describeRequest(request: HttpRequest, context: InvocationContext) {
  const body = Buffer.from(await request.arrayBuffer());
  return {
    jsonBody: {
      method: request.method,
      url: request.url,
      params: request.params,
      query: Object.fromEntries(request.query),
      headers: Object.fromEntries(request.headers),
      bodyHex: body.toString('hex'),
      functionName: context.functionName,
      invocationId: context.invocationId,
    },
  };
}

let host: LocalHost;
let logLines: LogLine[];
const BODY_LIMIT = 1024;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeAll(async () => {
  logLines = [];
  const log: HostLog = (level, source, message) => logLines.push({ level, source, message });
  const registry = new FunctionRegistry(log);
  registerHttp(registry, 'echo', { route: 'apim/{service}/gateways/{gatewayId}/token', methods: ['POST', 'GET'] }, describeRequest);
  registerHttp(registry, 'echoAll', { route: 'echo/{*rest}' }, describeRequest);
  registerHttp(registry, 'health', { methods: ['GET'] }, async (_request, context) => {
    context.log('health checked', { ok: true });
    return { jsonBody: { status: 'ok' }, headers: { 'cache-control': 'no-store' } };
  });
  registerHttp(registry, 'text', { route: 'text', methods: ['GET'] }, async () => ({
    status: 201,
    body: 'plain words',
    headers: new Headers([
      ['x-request-id', 'abc'],
      ['set-cookie', 'a=1'],
      ['Set-Cookie', 'b=2'],
    ]),
  }));
  registerHttp(registry, 'bytes', { route: 'bytes/{kind:alpha}', methods: ['GET'] }, async (request) => {
    const bytes = Uint8Array.from([0, 255, 1, 254]);
    const body = request.params.kind === 'buffer' ? Buffer.from(bytes) : bytes;
    return { body, headers: { 'content-type': 'application/octet-stream' } };
  });
  registerHttp(
    registry,
    'instance',
    { route: 'instance', methods: ['GET'] },
    async () => new HttpResponse({ status: 202, jsonBody: { accepted: true }, headers: { etag: '"v1"' } }),
  );
  // The types demand a response, but JavaScript handlers can return nothing.
  registerHttp(registry, 'nothing', { route: 'nothing', methods: ['POST'] }, (async () => undefined) as unknown as HttpHandler);
  registerHttp(registry, 'throws', { route: 'throws', methods: ['GET'] }, async () => {
    throw new Error('upstream exploded with secret detail');
  });
  registerHttp(registry, 'notAnObject', { route: 'not-an-object', methods: ['GET'] }, (async () => 'oops') as unknown as HttpHandler);
  registerHttp(registry, 'readThing', { route: 'things/{id}', methods: ['GET'] }, async () => ({ body: 'read' }));
  registerHttp(registry, 'writeThing', { route: 'things/{id}', methods: ['PUT', 'PATCH'] }, async () => ({ body: 'written' }));

  host = await startLocalHost({
    registrations: registry.registrations(),
    port: 0,
    routePrefix: 'api',
    maxBodyBytes: BODY_LIMIT,
    log,
    extraRoutes: (req, res) => {
      if (req.url !== '/_local/upstream-calls') return false;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"arm":{}}');
      return true;
    },
  });
});

afterAll(async () => {
  await host.close();
});

const json = (response: RawResponse): unknown => JSON.parse(response.body.toString('utf8'));

describe('local host: requests reaching a function', () => {
  it('passes method, full url, params, query, headers and body bytes', async () => {
    const body = Buffer.from([0x7b, 0x00, 0xff, 0x7d]);
    const response = await rawRequest(host, 'POST', '/api/apim/apimService1/gateways/gw1/token?a=1&b=two%20words', {
      headers: { 'content-type': 'application/json', 'x-request-id': 'req-123', 'x-ms-client-request-id': 'Client.ID_9' },
      body,
    });
    expect(response.status).toBe(200);
    const seen = json(response) as Awaited<ReturnType<typeof describeRequest>>['jsonBody'];
    expect(seen).toMatchObject({
      method: 'POST',
      url: `http://127.0.0.1:${host.port}/api/apim/apimService1/gateways/gw1/token?a=1&b=two%20words`,
      params: { service: 'apimService1', gatewayId: 'gw1' },
      query: { a: '1', b: 'two words' },
      bodyHex: '7b00ff7d',
      functionName: 'echo',
    });
    expect(seen.headers).toMatchObject({
      'content-type': 'application/json',
      'x-request-id': 'req-123',
      'x-ms-client-request-id': 'Client.ID_9',
    });
    expect(seen.invocationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('passes a repeated query parameter comma-joined, as the Functions host does, with the raw url intact', async () => {
    const response = await rawRequest(host, 'GET', '/api/apim/s/gateways/g/token?product=a&product=b');
    const seen = json(response) as { query: Record<string, string>; url: string };
    expect(seen.query).toEqual({ product: 'a,b' });
    expect(new URL(seen.url).searchParams.getAll('product')).toEqual(['a', 'b']);
  });

  it('decodes path values after splitting, so %2F arrives inside one value', async () => {
    const response = await rawRequest(host, 'GET', '/api/apim/s/gateways/a%2Fb/token');
    expect(response.status).toBe(200);
    expect((json(response) as { params: unknown }).params).toEqual({ service: 's', gatewayId: 'a/b' });
  });

  it('routes after removing dot segments, so ".." never becomes a value', async () => {
    const viaDots = await rawRequest(host, 'GET', '/api/apim/s/gateways/../../../health');
    expect(viaDots.status).toBe(200);
    expect(json(viaDots)).toEqual({ status: 'ok' });
    expect((await rawRequest(host, 'GET', '/api/apim/s/gateways/%2e%2E/token')).status).toBe(404);
  });

  it('matches literals case-insensitively and passes a catch-all value', async () => {
    const response = await rawRequest(host, 'DELETE', '/API/Echo/a/b%20c');
    expect(response.status).toBe(200);
    expect(json(response)).toMatchObject({ method: 'DELETE', params: { rest: 'a/b c' }, functionName: 'echoAll' });
  });

  it('sends context.log lines to the host log under the function name', async () => {
    await rawRequest(host, 'GET', '/api/health');
    expect(logLines).toContainEqual({ level: 'information', source: 'health', message: 'health checked { ok: true }' });
  });
});

describe('local host: responses', () => {
  it('serializes jsonBody with content-type application/json and keeps headers', async () => {
    const response = await rawRequest(host, 'GET', '/api/health');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(json(response)).toEqual({ status: 'ok' });
  });

  it('sends status, a Headers instance (including several Set-Cookie) and a string body', async () => {
    const response = await rawRequest(host, 'GET', '/api/text');
    expect(response.status).toBe(201);
    expect(response.headers['x-request-id']).toBe('abc');
    expect(response.headers['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(response.headers['content-type']).toBe('text/plain;charset=UTF-8');
    expect(response.body.toString()).toBe('plain words');
  });

  it.each(['buffer', 'uint'])('sends binary bodies unchanged (%s)', async (kind) => {
    const response = await rawRequest(host, 'GET', `/api/bytes/${kind}`);
    expect(response.headers['content-type']).toBe('application/octet-stream');
    expect(response.body.toString('hex')).toBe('00ff01fe');
  });

  it('sends an HttpResponse instance as it is', async () => {
    const response = await rawRequest(host, 'GET', '/api/instance');
    expect(response.status).toBe(202);
    expect(response.headers.etag).toBe('"v1"');
    expect(json(response)).toEqual({ accepted: true });
  });

  it('answers 204 when the handler returns nothing', async () => {
    const response = await rawRequest(host, 'POST', '/api/nothing');
    expect(response.status).toBe(204);
    expect(response.body.length).toBe(0);
  });

  it('answers 500 InternalError with the request id, never the detail, when the handler throws, and logs the error', async () => {
    const response = await rawRequest(host, 'GET', '/api/throws', { headers: { 'x-request-id': 'caller-500' } });
    expect(response.status).toBe(500);
    expect(response.headers['x-request-id']).toBe('caller-500');
    expect(json(response)).toEqual({
      error: { code: 'InternalError', message: 'The broker failed to handle the request. Request id: caller-500.' },
    });
    const line = logLines.find((entry) => entry.source === 'throws');
    expect(line?.level).toBe('error');
    expect(line?.message).toMatch(/^Invocation [0-9a-f-]{36} failed: Error: upstream exploded with secret detail/);
  });

  it('answers 500 InternalError when the handler returns something that is not a response', async () => {
    const response = await rawRequest(host, 'GET', '/api/not-an-object');
    expect(response.status).toBe(500);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(json(response)).toEqual({
      error: {
        code: 'InternalError',
        message: `The broker failed to handle the request. Request id: ${response.headers['x-request-id']}.`,
      },
    });
  });
});

describe('local host: routing failures', () => {
  it.each(['/api/unknown', '/health', '/api', '/api/health/extra'])('answers 404 NotFound in the ARM shape for %s', async (target) => {
    const response = await rawRequest(host, 'GET', target, { headers: { 'x-request-id': 'caller-404' } });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.headers['x-request-id']).toBe('caller-404');
    expect(json(response)).toEqual({ error: { code: 'NotFound', message: `The route '${target}' was not found.` } });
  });

  it('answers 404 NotFound for what is left of a path after its dot segments are removed', async () => {
    const response = await rawRequest(host, 'GET', '/api/apim/s/gateways/%2e%2E/token');
    expect(response.status).toBe(404);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(json(response)).toEqual({ error: { code: 'NotFound', message: "The route '/api/apim/s/token' was not found." } });
  });

  it('reads a target starting with // as a path, not as another host', async () => {
    const response = await rawRequest(host, 'GET', '//elsewhere/api/health');
    expect(response.status).toBe(404);
    expect(json(response)).toEqual({ error: { code: 'NotFound', message: "The route '//elsewhere/api/health' was not found." } });
  });

  it('answers 400 BadRequest when the request target is no URL', async () => {
    const response = await rawExchange(
      host.port,
      'GET http://[/x HTTP/1.1\r\nHost: a\r\nX-Request-Id: caller-400\r\nConnection: close\r\n\r\n',
    );
    expect(response.status).toBe(400);
    expect(response.headers['x-request-id']).toBe('caller-400');
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'BadRequest', message: 'The request target is not a valid URL.' } });
  });

  it('answers a request Node cannot parse with 400 BadRequest, written on the socket, and closes', async () => {
    const response = await rawExchange(host.port, 'GET /api/health HTTP/1.1\r\nHost: a\r\nno colon here\r\n\r\n');
    expect(response.status).toBe(400);
    expect(response.headers).toMatchObject({ 'content-type': 'application/json; charset=utf-8', connection: 'close' });
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'BadRequest', message: 'The request is not valid HTTP/1.1.' } });
  });

  it("answers headers over Node's limit with 431 RequestHeaderFieldsTooLarge in the ARM shape", async () => {
    const response = await rawExchange(host.port, `GET /api/health HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(response.status).toBe(431);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'RequestHeaderFieldsTooLarge', message: "The request's headers are larger than the host accepts." },
    });
  });

  it('answers 405 with Allow listing the methods of the route, and the contract error shape', async () => {
    const response = await rawRequest(host, 'POST', '/api/health', { body: '{}', headers: { 'x-request-id': 'caller-1' } });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET');
    expect(response.headers['x-request-id']).toBe('caller-1');
    expect(json(response)).toEqual({
      error: { code: 'MethodNotAllowed', message: 'The method POST is not allowed here; allowed: GET.' },
    });
  });

  it('lists the union of methods when several functions share a template', async () => {
    const response = await rawRequest(host, 'DELETE', '/api/things/1', { headers: { 'x-request-id': 'not valid!' } });
    expect(response.status).toBe(405);
    expect(response.headers.allow).toBe('GET, PUT, PATCH');
    expect(response.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect((await rawRequest(host, 'PATCH', '/api/things/1')).body.toString()).toBe('written');
  });

  it('consults extraRoutes before the functions, and their answers carry the request id too', async () => {
    const response = await rawRequest(host, 'GET', '/_local/upstream-calls', { headers: { 'x-ms-client-request-id': 'client-7' } });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe('client-7');
    expect(json(response)).toEqual({ arm: {} });
  });
});

describe('local host: request bodies over maxBodyBytes', () => {
  const payloadTooLarge = { error: { code: 'PayloadTooLarge', message: `The request body exceeds ${BODY_LIMIT} bytes.`, target: 'body' } };

  it('passes a body of exactly the limit', async () => {
    const response = await rawRequest(host, 'POST', '/api/apim/s/gateways/g/token', { body: Buffer.alloc(BODY_LIMIT, 0x61) });
    expect(response.status).toBe(200);
    expect((json(response) as { bodyHex: string }).bodyHex).toHaveLength(2 * BODY_LIMIT);
  });

  it('answers a declared Content-Length of 10 MB with 413 at once, before any body byte is sent, and closes', async () => {
    // rawExchange resolves on the server's close: were the host waiting for the body, this would never answer.
    const response = await rawExchange(
      host.port,
      'POST /api/apim/s/gateways/g/token HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 10485760\r\n\r\n',
    );
    expect(response.status).toBe(413);
    expect(response.headers).toMatchObject({ connection: 'close', 'content-type': 'application/json; charset=utf-8' });
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(JSON.parse(response.body)).toEqual(payloadTooLarge);
  });

  it('refuses such a body before inviting it when the client expects 100-continue', async () => {
    const response = await rawExchange(
      host.port,
      'POST /api/apim/s/gateways/g/token HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10485760\r\n\r\n',
    );
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toEqual(payloadTooLarge);
  });

  it('cuts a chunked body off at the limit while it streams, answers 413, and stays healthy', async () => {
    const chunk = 'a'.repeat(BODY_LIMIT + 1);
    // The final zero-length chunk is never sent: the answer must come while the body is still arriving.
    const response = await rawExchange(
      host.port,
      `POST /api/apim/s/gateways/g/token HTTP/1.1\r\nHost: a\r\nX-Request-Id: chunked-1\r\nTransfer-Encoding: chunked\r\n\r\n${chunk.length.toString(16)}\r\n${chunk}\r\n`,
    );
    expect(response.status).toBe(413);
    expect(response.headers).toMatchObject({ connection: 'close', 'x-request-id': 'chunked-1' });
    expect(JSON.parse(response.body)).toEqual(payloadTooLarge);
    const health = await rawRequest(host, 'GET', '/api/health');
    expect(health.status).toBe(200);
  });
});

describe('local host: prefix, listing and close', () => {
  it('serves at the root with an empty route prefix', async () => {
    const registry = new FunctionRegistry();
    registerHttp(registry, 'health', { methods: ['GET'] }, async () => ({ body: 'root' }));
    const rootHost = await startLocalHost({ registrations: registry.registrations(), port: 0, routePrefix: '', log: () => undefined });
    try {
      expect((await rawRequest(rootHost, 'GET', '/health')).body.toString()).toBe('root');
      expect((await rawRequest(rootHost, 'GET', '/api/health')).status).toBe(404);
    } finally {
      await rootHost.close();
    }
  });

  it('formats one line per function for the start banner', () => {
    const registry = new FunctionRegistry();
    registerHttp(registry, 'health', { methods: ['GET'] }, async () => ({}));
    registerHttp(registry, 'token', { route: 'apim/{service}/gateways/{gatewayId}/token', methods: ['POST', 'GET'] }, async () => ({}));
    registerHttp(registry, 'any', { route: 'any' }, async () => ({}));
    registry.registerFunction(
      { name: 'rotateGateways', bindings: { timer: { type: 'timerTrigger', direction: 'in', schedule: '0 0 3 * * *' } } },
      async () => undefined,
    );
    expect(formatFunctionList(registry.registrations(), 'http://127.0.0.1:7071', 'api')).toEqual([
      'GET http://127.0.0.1:7071/api/health',
      'POST,GET http://127.0.0.1:7071/api/apim/{service}/gateways/{gatewayId}/token',
      '* http://127.0.0.1:7071/api/any',
      'TIMER 0 0 3 * * * rotateGateways',
    ]);
  });

  it('close() ends open keep-alive connections and stops listening', async () => {
    const registry = new FunctionRegistry();
    registerHttp(registry, 'health', { methods: ['GET'] }, async () => ({ body: 'ok' }));
    const closingHost = await startLocalHost({ registrations: registry.registrations(), port: 0, log: () => undefined });
    const agent = new http.Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port: closingHost.port, path: '/api/health', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject);
    });
    await closingHost.close();
    agent.destroy();
    await expect(rawRequest(closingHost, 'GET', '/api/health')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('rejects when the port is taken', async () => {
    const nothing = { http: [], timers: [], hooks: { appStart: [], appTerminate: [] } };
    await expect(startLocalHost({ registrations: nothing, port: host.port, log: () => undefined })).rejects.toMatchObject({
      code: 'EADDRINUSE',
    });
  });
});
