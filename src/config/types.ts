/** Types that nano.yml defines and every later stage carries along unchanged. */

export interface Limits {
  /** Maximum linear memory in 64 KiB pages. */
  memoryPages: number;
  /** Wall-clock limit per invocation, in ms. */
  timeoutMs: number;
  /** How long a compiled module stays warm after its last invocation, in ms. */
  cacheTtlMs: number;
  /** Maximum simultaneous instances; null means bounded only by the pool. */
  concurrency: number | null;
}

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'ANY'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The methods whose routes a route of `method` collides with on the same path: ANY overlaps every one. */
export function overlappingMethods(method: HttpMethod): readonly HttpMethod[] {
  return method === 'ANY' ? HTTP_METHODS : [method, 'ANY'];
}

export interface Route {
  method: HttpMethod;
  path: string;
}

/** How a function is called: numbers in and out (`args`), or CGI over WASI preview 1 (`wagi`). */
export type Abi = 'args' | 'wagi';

/** A function's name, as schema/nano.schema.json defines it; the HTTP layer checks it before any lookup. */
export const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
