import fs from 'node:fs';

const DEFAULT_ROUTE_PREFIX = 'api';

/**
 * host.json `extensions.http.routePrefix`: `api` when absent, and an empty string is kept (it
 * serves functions at the root, as in Azure). Leading and trailing slashes are dropped.
 */
export function readRoutePrefix(hostJsonPath: string): string {
  const hostJson = JSON.parse(fs.readFileSync(hostJsonPath, 'utf8')) as { extensions?: { http?: { routePrefix?: unknown } } };
  const prefix = hostJson.extensions?.http?.routePrefix;
  if (prefix === undefined) return DEFAULT_ROUTE_PREFIX;
  if (typeof prefix !== 'string') throw new Error(`${hostJsonPath}: extensions.http.routePrefix must be a string`);
  return prefix.replace(/^\/+|\/+$/g, '');
}
