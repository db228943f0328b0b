import { createRouteConstraint, type RouteConstraint } from './routeConstraints';

/**
 * Route templates as the Functions host reads them (ASP.NET Core routing), limited to what a
 * function app needs: one literal or one parameter per segment. Anything outside that subset is
 * refused at registration rather than matched differently from Azure.
 *
 * - literal segments, compared case-insensitively;
 * - `{name}` and, as the last segment only, `{name?}`;
 * - `{name:constraint}` (several may be chained: `{id:int:min(1)}`), see routeConstraints;
 * - `{*name}` catch-all, last segment only, which may match nothing.
 */
export type RouteSegment =
  | { kind: 'literal'; text: string }
  | { kind: 'parameter'; name: string; optional: boolean; constraints: RouteConstraint[] }
  | { kind: 'catchAll'; name: string; constraints: RouteConstraint[] };

export interface RouteTemplate {
  /** The template as it is displayed: segments joined by `/`, no leading slash. */
  readonly text: string;
  readonly segments: readonly RouteSegment[];
}

export function parseRouteTemplate(template: string): RouteTemplate {
  const text = stripSlashes(template);
  const rawSegments = text === '' ? [] : text.split('/');
  const segments = rawSegments.map((segment) => {
    if (segment === '') throw new RouteTemplateError(template, 'empty segment ("//")');
    try {
      return parseSegment(segment);
    } catch (error) {
      throw new RouteTemplateError(template, (error as Error).message);
    }
  });
  checkPlacement(template, segments);
  return { text, segments };
}

/** Puts the host.json route prefix (`api`, `api/v1`, or empty) in front of a function's route. */
export function prefixRouteTemplate(routePrefix: string, template: RouteTemplate): RouteTemplate {
  const prefix = parseRouteTemplate(routePrefix);
  if (prefix.segments.length === 0) return template;
  return parseRouteTemplate(template.text === '' ? prefix.text : `${prefix.text}/${template.text}`);
}

/**
 * Splits a request path (already dot-segment-normalized, still percent-encoded) into its raw
 * segments. A trailing slash is ignored, as ASP.NET Core routing does.
 */
export function rawPathSegments(pathname: string): string[] {
  const segments = pathname.replace(/^\//, '').split('/');
  if (segments[segments.length - 1] === '') segments.pop();
  return segments;
}

/**
 * Matches raw (still encoded) path segments. Each segment is decoded only after the split, so an
 * encoded slash (`%2F`) stays inside one value as `/`, as in the Functions host; deciding whether
 * such a value is acceptable is the function's job. Returns the route values, or undefined.
 */
export function matchRouteTemplate(template: RouteTemplate, segments: readonly string[]): Record<string, string> | undefined {
  const values: Record<string, string> = {};
  for (const [index, segment] of template.segments.entries()) {
    if (segment.kind === 'catchAll') {
      const value = decodeSegment(segments.slice(index).join('/'));
      if (value === '') return values;
      if (!segment.constraints.every((constraint) => constraint.test(value))) return undefined;
      values[segment.name] = value;
      return values;
    }
    const raw = segments[index];
    if (raw === undefined) return segment.kind === 'parameter' && segment.optional ? values : undefined;
    const value = decodeSegment(raw);
    if (segment.kind === 'literal') {
      if (value.toLowerCase() !== segment.text.toLowerCase()) return undefined;
      continue;
    }
    if (value === '' || !segment.constraints.every((constraint) => constraint.test(value))) return undefined;
    values[segment.name] = value;
  }
  return segments.length <= template.segments.length ? values : undefined;
}

/**
 * ASP.NET Core's inbound precedence, segment by segment: literal 1, constrained parameter 2,
 * parameter 3, constrained catch-all 4, catch-all 5. Routes are tried in ascending order, so
 * `items/new` wins over `items/{id}` whatever the registration order.
 */
export function compareRoutePrecedence(a: RouteTemplate, b: RouteTemplate): number {
  const length = Math.max(a.segments.length, b.segments.length);
  for (let index = 0; index < length; index += 1) {
    const difference = precedenceDigit(a.segments[index]) - precedenceDigit(b.segments[index]);
    if (difference !== 0) return difference;
  }
  return 0;
}

export class RouteTemplateError extends Error {
  constructor(template: string, problem: string) {
    super(`Route template "${template}": ${problem}`);
    this.name = 'RouteTemplateError';
  }
}

function precedenceDigit(segment: RouteSegment | undefined): number {
  if (segment === undefined) return 0;
  if (segment.kind === 'literal') return 1;
  const constrained = segment.constraints.length > 0;
  if (segment.kind === 'parameter') return constrained ? 2 : 3;
  return constrained ? 4 : 5;
}

function parseSegment(segment: string): RouteSegment {
  const parameter = /^\{(.*)\}$/.exec(segment);
  if (!parameter) {
    if (/[{}?]/.test(segment)) throw new Error(`"${segment}" mixes literal text and a parameter, which is not supported`);
    return { kind: 'literal', text: segment };
  }
  let body = parameter[1] ?? '';
  if (/[{}]/.test(body)) throw new Error(`"${segment}" holds more than one parameter, which is not supported`);
  const catchAll = /^\*{1,2}/.exec(body);
  body = body.slice(catchAll?.[0].length ?? 0);
  const optional = body.endsWith('?');
  if (optional) body = body.slice(0, -1);
  if (body.includes('=')) throw new Error(`"${segment}": default values are not supported`);
  const [name = '', ...constraintTexts] = splitConstraints(body);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`"${segment}": invalid parameter name "${name}"`);
  const constraints = constraintTexts.map(createRouteConstraint);
  if (!catchAll) return { kind: 'parameter', name, optional, constraints };
  if (optional) throw new Error(`"${segment}": a catch-all parameter cannot be marked optional`);
  return { kind: 'catchAll', name, constraints };
}

/** Splits `name:c1:c2(a,b)` on the colons that are outside parentheses. */
function splitConstraints(body: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of body) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ':' && depth === 0) {
      parts.push(current);
      current = '';
    } else {
      current += char;
    }
  }
  parts.push(current);
  return parts;
}

function checkPlacement(template: string, segments: readonly RouteSegment[]): void {
  const names = new Set<string>();
  for (const [index, segment] of segments.entries()) {
    const isLast = index === segments.length - 1;
    if (segment.kind === 'literal') continue;
    if (segment.kind === 'catchAll' && !isLast) {
      throw new RouteTemplateError(template, `catch-all parameter "${segment.name}" must be the last segment`);
    }
    if (segment.kind === 'parameter' && segment.optional && !isLast) {
      throw new RouteTemplateError(template, `optional parameter "${segment.name}" must be the last segment`);
    }
    const key = segment.name.toLowerCase();
    if (names.has(key)) throw new RouteTemplateError(template, `parameter "${segment.name}" appears twice`);
    names.add(key);
  }
}

function stripSlashes(template: string): string {
  return template.replace(/^~?\//, '').replace(/\/$/, '');
}

/** Kestrel leaves invalid percent-escapes as they are rather than rejecting the request. */
function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}
