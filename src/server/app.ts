/**
 * The data plane, one Hono app for `nano dev` and `nano server`:
 *   GET|POST /exec/:name[?a,b]   invoke (the seed's API), result as text/plain
 *   GET /stats/:name             the seed's text, JSON on Accept: application/json
 *   GET /healthz                 liveness
 *   <the functions' own http routes>
 * Every error is a JSON body with a stable code and the matching status.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { NanoError, type ErrorCode } from '../errors.js';
import { parseJsonArgs, parseQueryArgs, type FunctionInfo, type WasmValue } from '../runtime/index.js';
import type { FunctionHost } from './function-host.js';
import type { LogEntry, Outcome } from './control-api.js';
import { assertBearer, requireBearer } from './auth.js';
import { errorResponse, internalErrorResponse, statusOf } from './http-errors.js';
import type { RouteTable } from './route-table.js';

export interface AppOptions {
  host: FunctionHost;
  routes: RouteTable;
  /** Called with errors that are not the caller's fault (bugs), for the log. */
  onInternalError?: (error: unknown) => void;
  /** Largest argument body accepted, in bytes. */
  maxArgsBytes?: number;
  /** Called once per invocation attempt that named an existing function (for `nano logs`). */
  onInvocation?: (entry: LogEntry) => void;
  /** When set, the data plane needs `Authorization: Bearer <execToken>` too. */
  execToken?: string;
  /** Adds routes (the control plane) ahead of the functions' own routes, which match anything. */
  extend?: (app: Hono) => void;
}

const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;
const DEFAULT_MAX_ARGS_BYTES = 64 * 1024;

function rawQuery(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return '';
  try {
    return decodeURIComponent(url.slice(at + 1));
  } catch {
    throw new NanoError('BadArguments', 'the query string is not valid URL encoding', { value: url.slice(at + 1) });
  }
}

function find(host: FunctionHost, name: string): FunctionInfo {
  // The name is checked before any lookup: it never reaches a file system or a map of anything else.
  const fn = FUNCTION_NAME.test(name) ? host.info(name) : undefined;
  if (!fn) {
    throw new NanoError('FunctionNotFound', `no function named "${name}"`, { value: name, hint: '`nano dev` prints every function and its URL when it starts' });
  }
  return fn;
}

async function argsOf(c: Context, fn: FunctionInfo, maxBytes: number): Promise<WasmValue[]> {
  if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') {
    const declared = Number(c.req.header('content-length') ?? 0);
    if (declared > maxBytes) {
      throw new NanoError('PayloadTooLarge', `arguments of ${declared} bytes exceed the ${maxBytes}-byte limit`, { value: declared });
    }
    const body = await c.req.text();
    if (body.length > maxBytes) {
      throw new NanoError('PayloadTooLarge', `arguments of ${body.length} bytes exceed the ${maxBytes}-byte limit`, { value: body.length });
    }
    if (body.trim() !== '') return parseJsonArgs(fn.name, fn.signature, body);
  }
  return parseQueryArgs(fn.name, fn.signature, rawQuery(c.req.url));
}

const OUTCOMES: Partial<Record<ErrorCode, Outcome>> = {
  FunctionTrapped: 'trap',
  FunctionTimeout: 'timeout',
  ConcurrencyLimit: 'throttled',
  Overloaded: 'throttled',
};

async function invoke(c: Context, options: AppOptions, name: string): Promise<Response> {
  const fn = find(options.host, name);
  const requestId = randomUUID();
  c.header('x-nano-request-id', requestId);
  const started = performance.now();
  const record = (status: number, outcome: Outcome, version: number | null, durationMs: number, lines: string[]) =>
    options.onInvocation?.({ time: new Date().toISOString(), requestId, name: fn.name, version, status, durationMs, outcome, lines });
  try {
    const args = await argsOf(c, fn, options.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES);
    const result = await options.host.invoke(fn.name, args);
    c.header('x-nano-duration-ms', result.durationMs.toFixed(3));
    c.header('x-nano-cold-start', result.coldStart ? '1' : '0');
    c.header('x-nano-version', String(result.version));
    record(200, 'ok', result.version, result.durationMs, []);
    return c.text(result.value);
  } catch (error) {
    if (error instanceof NanoError) {
      record(statusOf(error.code), OUTCOMES[error.code] ?? 'error', fn.version, performance.now() - started, [error.message]);
    }
    throw error;
  }
}

function statsText(executionMs: number, requests: number): string {
  return `execution time: ${Math.round(executionMs)}ms\nnumber of requests: ${requests}`;
}

export function createApp(options: AppOptions): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    if (error instanceof NanoError) return errorResponse(c, error);
    options.onInternalError?.(error);
    return internalErrorResponse(c);
  });

  app.get('/healthz', (c) => c.json({ status: 'ok', functions: options.host.list().length }));

  if (options.execToken !== undefined) {
    const guard = requireBearer(options.execToken);
    app.use('/exec/*', guard);
    app.use('/stats/*', guard);
  }
  options.extend?.(app);

  app.on(['GET', 'POST'], '/exec/:name', (c) => invoke(c, options, c.req.param('name')));

  app.get('/stats/:name', (c) => {
    const fn = find(options.host, c.req.param('name'));
    const stats = options.host.stats(fn.name);
    if ((c.req.header('accept') ?? '').includes('application/json')) {
      return c.json({ name: fn.name, version: fn.version, ...stats });
    }
    return c.text(statsText(stats.lastMs, stats.invocations));
  });

  // The functions' own routes, looked up in a table that deploys and reloads swap.
  app.all('*', (c) => {
    const target = options.routes.match(c.req.method, c.req.path);
    if (!target) {
      throw new NanoError('NotFound', `no route for ${c.req.method} ${c.req.path}`, {
        value: c.req.path,
        hint: 'functions are served at /exec/<name>; `nano info` lists their routes',
      });
    }
    if (options.execToken !== undefined) assertBearer(c, options.execToken);
    return invoke(c, options, target.name);
  });

  return app;
}
