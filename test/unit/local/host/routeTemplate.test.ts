import { RouteTable } from '../../../../local/host/routeTable';
import { matchRouteTemplate, parseRouteTemplate, prefixRouteTemplate, rawPathSegments } from '../../../../local/host/routeTemplate';

/** Matches a request path against `template` under `prefix`, as the host does. */
function match(template: string, pathname: string, prefix = 'api'): Record<string, string> | undefined {
  return matchRouteTemplate(prefixRouteTemplate(prefix, parseRouteTemplate(template)), rawPathSegments(pathname));
}

/** What a request path looks like once Node/WHATWG URL parsing has normalized it. */
function normalizedPath(target: string): string {
  return new URL(target, 'http://127.0.0.1').pathname;
}

describe('route templates: literals and parameters', () => {
  it('matches literal segments case-insensitively', () => {
    expect(match('health', '/api/health')).toEqual({});
    expect(match('health', '/API/Health')).toEqual({});
    expect(match('openapi.json', '/api/OpenAPI.JSON')).toEqual({});
    expect(match('health', '/api/healthz')).toBeUndefined();
    expect(match('health', '/health')).toBeUndefined();
  });

  it('ignores one trailing slash but not extra segments', () => {
    expect(match('health', '/api/health/')).toEqual({});
    expect(match('health', '/api/health/x')).toBeUndefined();
  });

  it('captures {name} values and keeps their case', () => {
    expect(match('apim/{service}/gateways/{gatewayId}/token', '/api/apim/ApimService1/gateways/GW1/token')).toEqual({
      service: 'ApimService1',
      gatewayId: 'GW1',
    });
  });

  it('does not let a required parameter match an empty or missing segment', () => {
    expect(match('items/{id}', '/api/items')).toBeUndefined();
    expect(match('items/{id}/x', '/api/items//x')).toBeUndefined();
  });

  it('treats a trailing {name?} as optional', () => {
    expect(match('items/{id?}', '/api/items')).toEqual({});
    expect(match('items/{id?}', '/api/items/7')).toEqual({ id: '7' });
    expect(() => parseRouteTemplate('items/{id?}/details')).toThrow(/optional parameter "id" must be the last segment/);
  });

  it('captures the rest of the path in {*rest}, which may be empty', () => {
    expect(match('files/{*rest}', '/api/files/a/b/c.txt')).toEqual({ rest: 'a/b/c.txt' });
    expect(match('files/{*rest}', '/api/files')).toEqual({});
    expect(() => parseRouteTemplate('files/{*rest}/x')).toThrow(/catch-all parameter "rest" must be the last segment/);
  });

  it('uses the whole template as the route when there is no prefix', () => {
    expect(match('health', '/health', '')).toEqual({});
    expect(match('health', '/api/health', '')).toBeUndefined();
    expect(match('', '/', '')).toEqual({});
  });

  it('supports a multi-segment prefix and a prefix with slashes around it', () => {
    expect(match('health', '/api/v1/health', 'api/v1')).toEqual({});
    expect(match('health', '/api/health', '/api/')).toEqual({});
  });

  it('refuses what it does not support instead of matching differently from Azure', () => {
    expect(() => parseRouteTemplate('a//b')).toThrow(/empty segment/);
    expect(() => parseRouteTemplate('file.{ext}')).toThrow(/mixes literal text and a parameter/);
    expect(() => parseRouteTemplate('{a}{b}')).toThrow(/more than one parameter/);
    expect(() => parseRouteTemplate('{id=5}')).toThrow(/default values are not supported/);
    expect(() => parseRouteTemplate('{a}/{A}')).toThrow(/parameter "A" appears twice/);
    expect(() => parseRouteTemplate('{*rest?}')).toThrow(/catch-all parameter cannot be marked optional/);
  });
});

describe('route templates: decoding', () => {
  it('decodes each value after splitting the raw path, so %2F stays inside one value', () => {
    expect(match('gateways/{gatewayId}/token', '/api/gateways/a%2Fb/token')).toEqual({ gatewayId: 'a/b' });
    expect(match('gateways/{gatewayId}/token', '/api/gateways/a%2fb%5Cc/token')).toEqual({ gatewayId: 'a/b\\c' });
  });

  it('decodes percent-escapes and UTF-8, and matches literals after decoding', () => {
    expect(match('items/{id}', '/api/items/caf%C3%A9%20au%20lait')).toEqual({ id: 'café au lait' });
    expect(match('health', '/api/%68ealth')).toEqual({});
  });

  it('leaves an invalid percent-escape as it is', () => {
    expect(match('items/{id}', '/api/items/100%zz')).toEqual({ id: '100%zz' });
  });

  it('passes %25 through as a literal percent sign for the function to judge', () => {
    expect(match('items/{id}', '/api/items/a%252Fb')).toEqual({ id: 'a%2Fb' });
  });

  it('never yields "." or ".." from dot segments, which URL normalization removes first', () => {
    expect(normalizedPath('/api/items/../health')).toBe('/api/health');
    expect(normalizedPath('/api/items/%2e%2E')).toBe('/api/');
    expect(match('items/{id}', normalizedPath('/api/items/..'))).toBeUndefined();
    expect(match('items/{id}', normalizedPath('/api/items/.'))).toBeUndefined();
  });

  it('decodes an encoded dot segment that normalization keeps (it contains a slash) into one value', () => {
    expect(match('items/{id}', normalizedPath('/api/items/..%2F'))).toEqual({ id: '../' });
  });
});

describe('route templates: constraints', () => {
  it('applies int, long, bool, alpha and guid like ASP.NET Core', () => {
    expect(match('n/{n:int}', '/api/n/-42')).toEqual({ n: '-42' });
    expect(match('n/{n:int}', '/api/n/2147483648')).toBeUndefined();
    expect(match('n/{n:long}', '/api/n/2147483648')).toEqual({ n: '2147483648' });
    expect(match('n/{n:long}', '/api/n/9223372036854775808')).toBeUndefined();
    expect(match('n/{n:int}', '/api/n/4x')).toBeUndefined();
    expect(match('b/{b:bool}', '/api/b/TRUE')).toEqual({ b: 'TRUE' });
    expect(match('b/{b:bool}', '/api/b/yes')).toBeUndefined();
    expect(match('a/{a:alpha}', '/api/a/abcXYZ')).toEqual({ a: 'abcXYZ' });
    expect(match('a/{a:alpha}', '/api/a/abc1')).toBeUndefined();
    expect(match('g/{g:guid}', '/api/g/00000000-0000-0000-0000-000000000000')).toBeDefined();
    expect(match('g/{g:guid}', '/api/g/%7B0f8fad5b-d9cb-469f-a165-70867728950e%7D')).toBeDefined();
    expect(match('g/{g:guid}', '/api/g/0f8fad5bd9cb469fa16570867728950e')).toBeDefined();
    expect(match('g/{g:guid}', '/api/g/0f8fad5b-d9cb')).toBeUndefined();
  });

  it('applies length and numeric range constraints, chained', () => {
    expect(match('x/{x:minlength(2):maxlength(3)}', '/api/x/ab')).toEqual({ x: 'ab' });
    expect(match('x/{x:minlength(2):maxlength(3)}', '/api/x/a')).toBeUndefined();
    expect(match('x/{x:minlength(2):maxlength(3)}', '/api/x/abcd')).toBeUndefined();
    expect(match('x/{x:length(1,80)}', `/api/x/${'a'.repeat(80)}`)).toBeDefined();
    expect(match('x/{x:length(1,80)}', `/api/x/${'a'.repeat(81)}`)).toBeUndefined();
    expect(match('x/{x:length(2)}', '/api/x/ab')).toBeDefined();
    expect(match('x/{x:range(1,10)}', '/api/x/10')).toBeDefined();
    expect(match('x/{x:range(1,10)}', '/api/x/11')).toBeUndefined();
    expect(match('x/{x:int:min(1)}', '/api/x/0')).toBeUndefined();
    expect(match('x/{x:max(5)}', '/api/x/abc')).toBeUndefined();
  });

  it('checks constraints on the decoded value and on an optional value only when present', () => {
    expect(match('x/{x:maxlength(3)}', '/api/x/%41%42%43')).toEqual({ x: 'ABC' });
    expect(match('x/{x:int?}', '/api/x')).toEqual({});
    expect(match('x/{x:int?}', '/api/x/a')).toBeUndefined();
  });

  it('fails loudly on an unknown constraint, naming the route and the constraint', () => {
    expect(() => parseRouteTemplate('apim/{service:slug}')).toThrow(
      /Route template "apim\/\{service:slug\}": unknown route constraint "slug"/,
    );
    expect(() => parseRouteTemplate('{id:regex(^a$)}')).toThrow(/unknown route constraint "regex\(\^a\$\)"/);
  });

  it('fails loudly on malformed constraint arguments', () => {
    expect(() => parseRouteTemplate('{x:minlength}')).toThrow(/"minlength" takes 1 argument/);
    expect(() => parseRouteTemplate('{x:minlength(a)}')).toThrow(/invalid route constraint "minlength\(a\)"/);
    expect(() => parseRouteTemplate('{x:range(5,1)}')).toThrow(/minimum 5 exceeds maximum 1/);
  });
});

describe('route table', () => {
  const route = (template: string, methods: string[], name = template) => ({
    name,
    template: prefixRouteTemplate('api', parseRouteTemplate(template)),
    methods,
  });

  it('prefers literals over constrained parameters over parameters over catch-alls', () => {
    const table = new RouteTable([
      route('items/{*rest}', ['GET']),
      route('items/{id}', ['GET']),
      route('items/{id:int}', ['GET']),
      route('items/new', ['GET']),
    ]);
    const resolved = (path: string) => {
      const resolution = table.resolve('GET', path);
      return resolution.kind === 'found' ? resolution.route.name : resolution.kind;
    };
    expect(resolved('/api/items/new')).toBe('items/new');
    expect(resolved('/api/items/7')).toBe('items/{id:int}');
    expect(resolved('/api/items/seven')).toBe('items/{id}');
    expect(resolved('/api/items/a/b')).toBe('items/{*rest}');
    expect(resolved('/api/other')).toBe('notFound');
  });

  it('reports the union of the methods of every route matching the path', () => {
    const table = new RouteTable([route('things/{id}', ['GET']), route('things/{id}', ['POST', 'GET']), route('other', ['DELETE'])]);
    expect(table.resolve('PUT', '/api/things/1')).toEqual({ kind: 'methodNotAllowed', allow: ['GET', 'POST'] });
    expect(table.resolve('post', '/api/things/1')).toMatchObject({ kind: 'found', params: { id: '1' } });
  });

  it('lets a route without methods accept any method', () => {
    const table = new RouteTable([route('anything', [])]);
    expect(table.resolve('PATCH', '/api/anything')).toMatchObject({ kind: 'found' });
  });
});
