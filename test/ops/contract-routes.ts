/** Routes of ../shared/API.md, compared with OpenAPI paths (test/ops/openapi-contract.test.ts). */
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** `{scheduleId}` and `{id}` name the same slot: compare paths with anonymous parameters. */
export const normalise = (method: string, path: string) =>
  `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, '{}').replace(/(.)\/$/, '$1')}`;

/** Backticked `METHOD /path` routes, plus `.../suffix` shorthands that replace the previous route's last segment. */
export function contractRoutes(markdown: string): string[] {
  const routes: string[] = [];
  let previous: { method: string; path: string } | undefined;
  for (const m of markdown.matchAll(
    /`(?:(GET|POST|PUT|PATCH|DELETE) (\/[^\s`?]*)|\.\.\.(\/[^\s`]+))[^`]*`/g,
  )) {
    const [, method, path, suffix] = m;
    if (method !== undefined && path !== undefined) previous = { method, path };
    else if (suffix !== undefined && previous !== undefined) {
      previous = { method: previous.method, path: previous.path.replace(/\/[^/]+$/, suffix) };
    } else continue;
    routes.push(normalise(previous.method, previous.path));
  }
  return [...new Set(routes)];
}
