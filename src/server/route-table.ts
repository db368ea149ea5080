/**
 * The functions' own `http` routes. Hono compiles its router once, but
 * functions come and go while the server runs (hot reload, deploys), so these
 * routes live in a table that is swapped whole: a lookup sees either the old
 * table or the new one, never a mix.
 *
 * A route is exact (`/sum`) or ends in a wildcard segment (`/api/items/*`),
 * which matches the prefix itself and anything below it; the rest of the path
 * is the match's `pathInfo` (a wagi function's PATH_INFO). An exact route wins
 * over a wildcard, and a longer wildcard prefix over a shorter one.
 */
import { HTTP_METHODS, type HttpMethod, type Route } from '../config/types.js';

export interface RouteTarget {
  /** The function the route invokes. */
  name: string;
  route: Route;
  /** The path below a wildcard route's prefix (`/42` for `/api/items/42`); '' for an exact match. */
  pathInfo: string;
}

interface Wildcard {
  prefix: string;
  method: HttpMethod;
  name: string;
  route: Route;
}

function key(method: string, path: string): string {
  return `${method} ${path}`;
}

function normalize(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

/** `/api/items/*` → `/api/items`; `/*` → ''; undefined for an exact route. */
export function wildcardPrefix(path: string): string | undefined {
  return path.endsWith('/*') ? path.slice(0, -2) : undefined;
}

export class RouteTable {
  private table = new Map<string, RouteTarget>();
  /** Exact path → the methods its routes take, for a 405's `Allow` header. */
  private methods = new Map<string, Set<HttpMethod>>();
  /** Longest prefix first. */
  private wildcards: Wildcard[] = [];

  /** Replaces every route at once with those of the given functions. */
  replace(functions: Iterable<{ name: string; routes: readonly Route[] }>): void {
    const next = new Map<string, RouteTarget>();
    const methods = new Map<string, Set<HttpMethod>>();
    const wildcards: Wildcard[] = [];
    for (const fn of functions) {
      for (const route of fn.routes) {
        const prefix = wildcardPrefix(route.path);
        if (prefix === undefined) {
          const path = normalize(route.path);
          next.set(key(route.method, path), { name: fn.name, route, pathInfo: '' });
          methods.set(path, (methods.get(path) ?? new Set()).add(route.method));
        } else {
          wildcards.push({ prefix, method: route.method, name: fn.name, route });
        }
      }
    }
    wildcards.sort((a, b) => b.prefix.length - a.prefix.length);
    this.table = next;
    this.methods = methods;
    this.wildcards = wildcards;
  }

  match(method: string, path: string): RouteTarget | undefined {
    const normalized = normalize(path);
    // HEAD is answered like GET, as HTTP servers do.
    const asMethod = (method === 'HEAD' ? 'GET' : method) as HttpMethod;
    const exact = this.table.get(key(asMethod, normalized)) ?? this.table.get(key('ANY', normalized));
    if (exact !== undefined || this.wildcards.length === 0) return exact;
    for (const w of this.wildcards) {
      if (w.method !== asMethod && w.method !== 'ANY') continue;
      if (path === w.prefix || path.startsWith(`${w.prefix}/`))
        return { name: w.name, route: w.route, pathInfo: path.slice(w.prefix.length) };
    }
    return undefined;
  }

  /**
   * The methods the routes matching `path` take, when `match()` found none for the request's method:
   * a non-empty list answers 405 with it as `Allow` (RFC 9110 §15.5.6), an empty one 404. HEAD goes
   * with GET, as `match()` answers it.
   */
  allowedMethods(path: string): string[] {
    const found = new Set(this.methods.get(normalize(path)));
    for (const w of this.wildcards) {
      if (path === w.prefix || path.startsWith(`${w.prefix}/`)) found.add(w.method);
    }
    // A route for ANY method matches every request: match() would have found it.
    const allowed: string[] = HTTP_METHODS.filter((method) => method !== 'ANY' && found.has(method));
    if (found.has('GET')) allowed.splice(1, 0, 'HEAD');
    return allowed;
  }

  list(): RouteTarget[] {
    return [...this.table.values(), ...this.wildcards.map((w) => ({ name: w.name, route: w.route, pathInfo: '' }))];
  }
}
