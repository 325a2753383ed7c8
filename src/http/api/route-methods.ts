/**
 * Which methods each path of the API has, so a known path called with another method gets 405 with
 * `Allow` (RFC 9110, section 15.5.6) instead of 404. Fastify's router answers only "no route"; this
 * keeps its own list, filled by an onRoute hook as routes register, and is read only on that miss.
 */

/** A route path as Fastify spells it (`/tokens/:id`, `/assets/*`) compiled to a matcher once. */
interface PathMethods {
  pattern: RegExp;
  methods: Set<string>;
}

const escape = (text: string): string => text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');

/** `/tokens/:id` -> `^/tokens/[^/]+$`; `*` matches the rest of the path. */
export function routePattern(url: string): RegExp {
  const trimmed = url.length > 1 ? url.replace(/\/+$/, '') : url;
  const body = trimmed
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) return '[^/]+';
      if (segment === '*') return '.*';
      return escape(segment);
    })
    .join('/');
  return new RegExp(`^${body}/?$`);
}

export class RouteMethods {
  private readonly byUrl = new Map<string, PathMethods>();

  /** Records a registered route (one method or several). */
  add(method: string | readonly string[], url: string): void {
    const entry = this.byUrl.get(url) ?? { pattern: routePattern(url), methods: new Set<string>() };
    for (const m of typeof method === 'string' ? [method] : method) entry.methods.add(m.toUpperCase());
    // Fastify answers HEAD for every GET route (exposeHeadRoutes).
    if (entry.methods.has('GET')) entry.methods.add('HEAD');
    this.byUrl.set(url, entry);
  }

  /** The methods a path has, sorted, or none when no route matches it (a 404 then). */
  allowed(path: string): string[] {
    const found = new Set<string>();
    for (const { pattern, methods } of this.byUrl.values()) {
      if (pattern.test(path)) for (const m of methods) found.add(m);
    }
    return [...found].sort();
  }
}
