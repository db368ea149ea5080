/**
 * The functions' own `http` routes. Hono compiles its router once, but
 * functions come and go while the server runs (hot reload, deploys), so these
 * routes live in a table that is swapped whole: a lookup sees either the old
 * table or the new one, never a mix.
 */
import type { HttpMethod, Route } from '../config/types.js';

export interface RouteTarget {
  /** The function the route invokes. */
  name: string;
  route: Route;
}

function key(method: string, path: string): string {
  return `${method} ${path}`;
}

function normalize(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/, '') : path;
}

export class RouteTable {
  private table = new Map<string, RouteTarget>();

  /** Replaces every route at once with those of the given functions. */
  replace(functions: Iterable<{ name: string; routes: readonly Route[] }>): void {
    const next = new Map<string, RouteTarget>();
    for (const fn of functions) {
      for (const route of fn.routes) next.set(key(route.method, normalize(route.path)), { name: fn.name, route });
    }
    this.table = next;
  }

  match(method: string, path: string): RouteTarget | undefined {
    const normalized = normalize(path);
    // HEAD is answered like GET, as HTTP servers do.
    const asMethod = (method === 'HEAD' ? 'GET' : method) as HttpMethod;
    return this.table.get(key(asMethod, normalized)) ?? this.table.get(key('ANY', normalized));
  }

  list(): RouteTarget[] {
    return [...this.table.values()];
  }
}
