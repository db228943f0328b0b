import { compareRoutePrecedence, matchRouteTemplate, type RouteTemplate, rawPathSegments } from './routeTemplate';

export interface Route {
  readonly template: RouteTemplate;
  /** Uppercase method names; empty accepts every method. */
  readonly methods: readonly string[];
}

export type RouteResolution<R extends Route> =
  | { kind: 'found'; route: R; params: Record<string, string> }
  | { kind: 'methodNotAllowed'; allow: string[] }
  | { kind: 'notFound' };

/** Chooses the function for a request the way endpoint routing does: by precedence, then by method. */
export class RouteTable<R extends Route> {
  private readonly routes: readonly R[];

  constructor(routes: readonly R[]) {
    // Array.prototype.sort is stable, so equal precedence keeps registration order.
    this.routes = [...routes].sort((a, b) => compareRoutePrecedence(a.template, b.template));
  }

  /** `pathname` must be dot-segment-normalized (as `new URL()` leaves it) and still encoded. */
  resolve(method: string, pathname: string): RouteResolution<R> {
    const segments = rawPathSegments(pathname);
    const allow: string[] = [];
    for (const route of this.routes) {
      const params = matchRouteTemplate(route.template, segments);
      if (!params) continue;
      if (route.methods.length === 0 || route.methods.includes(method.toUpperCase())) {
        return { kind: 'found', route, params };
      }
      for (const allowed of route.methods) if (!allow.includes(allowed)) allow.push(allowed);
    }
    return allow.length > 0 ? { kind: 'methodNotAllowed', allow } : { kind: 'notFound' };
  }
}
