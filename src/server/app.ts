/**
 * The data plane, one Hono app for `nano dev` and `nano server`:
 *   GET|POST /exec/:name[?a,b]   invoke (the seed's API), result as text/plain
 *   ANY /exec/:name[/rest]       a `wagi` function: the request in, its CGI response out
 *   GET /stats/:name             the seed's text, JSON on Accept: application/json
 *   GET /healthz                 liveness
 *   GET /healthz/ready           readiness (readiness.ts)
 *   <the functions' own http routes>
 * Every error is a JSON body with a stable code and the matching status.
 */
import { Hono, type Context } from 'hono';
import { functionNotFound, NanoError } from '../errors.js';
import type { FunctionInfo } from '../runtime/index.js';
import { FUNCTION_NAME } from '../config/types.js';
import type { AppOptions, Resolved } from './app-options.js';
import { assertBearer, requireBearer } from './auth.js';
import { BodyBudget, OverBudgetError } from './body-budget.js';
import { errorResponse, internalErrorResponse } from './http-errors.js';
import { invoke } from './invoke.js';
import { resultHeaders } from './result-headers.js';
import { DEFAULT_MAX_BODY_BYTES, defaultBodyBytesInFlight } from './limits.js';
import { addReadinessRoute } from './readiness.js';

export type { AppOptions } from './app-options.js';

function find(options: AppOptions, name: string): FunctionInfo {
  // The name is checked before any lookup: it never reaches a file system or a map of anything else.
  const fn = FUNCTION_NAME.test(name) ? options.host.info(name) : undefined;
  const unavailable = fn || !FUNCTION_NAME.test(name) ? undefined : options.unavailable?.get(name);
  if (unavailable !== undefined) {
    throw new NanoError('FunctionUnavailable', `function "${name}" cannot run: ${unavailable}`, {
      value: name,
      hint: 'the platform holds a version it refuses: deploy a fixed version, or `nano rollback` to an earlier one',
    });
  }
  if (!fn) {
    throw functionNotFound(name, { hint: options.declared?.hints.functionNotFound ?? '`nano info` lists the deployed functions' });
  }
  return fn;
}

/**
 * Before a lookup: a function nano.yml declares that does not serve yet waits for its first build
 * (`nano dev`). Undefined when there is nothing to wait for, so the hot path takes no extra turn.
 */
function settling(options: AppOptions, name: string): Promise<void> | undefined {
  if (options.declared === undefined || !FUNCTION_NAME.test(name) || options.host.info(name)) return undefined;
  return options.declared.settle(name);
}

/**
 * No route for the request. When routes do serve its path with other methods (`allowed`), that is a
 * 405 whose `Allow` header lists them (RFC 9110 §15.5.6; http-errors.ts sets it from the value).
 */
function noRoute(c: Context, options: AppOptions, allowed: readonly string[] = []): NanoError {
  if (allowed.length > 0) {
    return new NanoError('MethodNotAllowed', `${c.req.path} does not take ${c.req.method}, only ${allowed.join(', ')}`, {
      value: allowed,
      hint: `send it as ${allowed.join(' or ')}; ${options.declared?.hints.routes ?? '`nano info` lists the routes'}`,
    });
  }
  return new NanoError('NotFound', `no route for ${c.req.method} ${c.req.path}`, {
    value: c.req.path,
    hint: options.declared?.hints.noRoute ?? 'functions are served at /exec/<name>; `nano info` lists their routes',
  });
}

/**
 * Every request for /exec/<name>[/rest], in one handler: the only route that matches, so Hono calls it
 * directly rather than through its middleware chain (compose), and a call that completes synchronously
 * answers synchronously. Hence the token check here rather than in a middleware.
 *   GET|HEAD|POST /exec/<name>   any function (invoke.ts: the arguments, or a wagi function's request)
 *   any other request             a `wagi` function only (any method; /exec/<name>/<rest> is its PATH_INFO)
 */
function exec(c: Context, options: Resolved): Response | Promise<Response> {
  if (options.execToken !== undefined) assertBearer(c, options.execToken);
  const name = c.req.param('name') ?? '';
  const waiting = settling(options, name);
  if (waiting === undefined) return execNow(c, options, name);
  return waiting.then(() => execNow(c, options, name));
}

function execNow(c: Context, options: Resolved, name: string): Response | Promise<Response> {
  const whole = c.req.path === `/exec/${name}`;
  // Hono answers HEAD with the GET route's response, its body left out.
  const method = c.req.method;
  if (whole && (method === 'GET' || method === 'POST' || method === 'HEAD')) return invoke(c, options, find(options, name));
  const fn = FUNCTION_NAME.test(name) ? options.host.info(name) : undefined;
  // /exec/<name> of a function that takes arguments is served for GET and POST only.
  if (fn?.abi !== 'wagi') throw noRoute(c, options, fn && whole ? ['GET', 'HEAD', 'POST'] : []);
  return invoke(c, options, fn);
}

function statsText(executionMs: number, requests: number): string {
  return `execution time: ${Math.round(executionMs)}ms\nnumber of requests: ${requests}`;
}

export function createApp(appOptions: AppOptions): Hono {
  const options: Resolved = {
    ...appOptions,
    bodyBudget: appOptions.bodyBudget ?? new BodyBudget(defaultBodyBytesInFlight(appOptions.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)),
    resultHeaders: resultHeaders(appOptions.node),
  };
  const app = new Hono();

  const node = options.node;
  if (node) {
    // Every response but a function's own (invoke() names the revision its call started on) and
    // /exec's, stamped by invoke() and app.onError: a middleware there would cost the hot path.
    const stamp = async (c: Context, next: () => Promise<void>) => {
      c.header('x-nano-node', node.id);
      c.header('x-nano-revision', String(node.revision()));
      await next();
    };
    for (const path of [
      '/healthz',
      '/healthz/*',
      '/stats/*',
      '/deployments',
      '/deployments/*',
      '/artifacts/*',
      '/functions',
      '/functions/*',
      '/register/*',
    ])
      app.use(path, stamp);
  }

  app.onError((error, c) => {
    if (node) {
      c.header('x-nano-node', node.id);
      if (c.res.headers.get('x-nano-revision') === null) c.header('x-nano-revision', String(node.revision()));
    }
    if (error instanceof NanoError) {
      if (error.code === 'RequestAborted') options.clientErrors?.count('abortedBodies');
      if (error instanceof OverBudgetError) options.clientErrors?.count('overBudget');
      return errorResponse(c, error);
    }
    options.onInternalError?.(error);
    return internalErrorResponse(c);
  });

  // Liveness: a platform with unavailable functions still serves the others, so it stays 200.
  // Open to anyone, even with --exec-token: names only; the reasons are in the log, `nano info` and each 503.
  app.get('/healthz', (c) => {
    const functions = options.host.list().length;
    const unavailable = [...(options.unavailable?.keys() ?? [])].sort();
    const clientErrors = options.clientErrors?.snapshot();
    // `nano dev` before its first build is loaded: not serving what it will serve yet.
    const starting = options.declared?.starting() ?? false;
    const health = starting
      ? { status: 'starting', functions }
      : unavailable.length === 0
        ? { status: 'ok', functions }
        : { status: 'degraded', functions, unavailable };
    if (starting) c.header('Retry-After', '1');
    return c.json(clientErrors === undefined ? health : { ...health, clientErrors }, starting ? 503 : 200);
  });
  addReadinessRoute(app, options.readiness);

  // /exec checks the token itself (exec()); the functions' own routes too (below).
  if (options.execToken !== undefined) app.use('/stats/*', requireBearer(options.execToken));
  options.extend?.(app);

  // Hono's `/exec/:name/*` matches `/exec/<name>` as well: one route for both (exec()).
  app.all('/exec/:name/*', (c) => exec(c, options));

  app.get('/stats/:name', async (c) => {
    await settling(options, c.req.param('name'));
    const fn = find(options, c.req.param('name'));
    const stats = options.host.stats(fn.name);
    if ((c.req.header('accept') ?? '').includes('application/json')) {
      return c.json({ name: fn.name, version: fn.version, ...stats });
    }
    return c.text(statsText(stats.lastMs, stats.invocations));
  });

  // The functions' own routes, looked up in a table that deploys and reloads swap.
  const serveRoute = (c: Context) => {
    const target = options.routes.match(c.req.method, c.req.path);
    if (!target) throw noRoute(c, options, options.routes.allowedMethods(c.req.path));
    return invoke(c, options, find(options, target.name), target);
  };
  // Whatever no route above serves: a handler for not found rather than a route for `*`, which would
  // match every path, /exec's too, and send each request through Hono's middleware chain.
  app.notFound((c) => {
    // The token first: without it, a caller learns nothing about which routes exist.
    if (options.execToken !== undefined) assertBearer(c, options.execToken);
    // `nano dev`: a route nano.yml declares whose function does not serve yet waits for its first build.
    const { declared } = options;
    const name = declared && !options.routes.match(c.req.method, c.req.path) ? declared.routeOf(c.req.method, c.req.path) : undefined;
    const waiting = name === undefined ? undefined : declared?.settle(name);
    return waiting === undefined ? serveRoute(c) : waiting.then(() => serveRoute(c));
  });

  return app;
}
