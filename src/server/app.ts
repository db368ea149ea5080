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
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { functionNotFound, NanoError, type ErrorCode } from '../errors.js';
import { logLinesOf, parseJsonArgs, parseQueryArgs, type FunctionInfo, type WasmValue } from '../runtime/index.js';
import type { FunctionHost } from './function-host.js';
import type { LogEntry, Outcome } from './control-api.js';
import { assertBearer, requireBearer } from './auth.js';
import { errorResponse, internalErrorResponse, statusOf } from './http-errors.js';
import type { RouteTable, RouteTarget } from './route-table.js';
import { DEFAULT_MAX_BODY_BYTES, defaultBodyBytesInFlight } from './limits.js';
import { BodyBudget, OverBudgetError } from './body-budget.js';
import { parseCgiResponse, readBody, wagiRequest, type WagiTarget } from './wagi.js';
import { readBodyLimited } from './read-body.js';
import type { ClientErrors } from './client-errors.js';
import { FUNCTION_NAME } from '../config/types.js';
import { addReadinessRoute, type Readiness } from './readiness.js';
import type { DeclaredFunctions } from './declared.js';

export interface AppOptions {
  host: FunctionHost;
  routes: RouteTable;
  /** Called with errors that are not the caller's fault (bugs), for the log. */
  onInternalError?: (error: unknown) => void;
  /** Counts requests whose body a client cut short (never logged: not our bug); listen() counts the socket-level ones. */
  clientErrors?: ClientErrors;
  /** Largest argument body accepted, in bytes. */
  maxArgsBytes?: number;
  /** Largest request body a `wagi` function accepts, in bytes (default 8 MiB); beyond it, 413. */
  maxBodyBytes?: number;
  /**
   * Bytes of request bodies held at once, shared with the control plane's uploads when given; by
   * default a budget of the app's own (limits.ts, DEFAULT_MAX_BODY_BYTES_IN_FLIGHT). Past it, 503.
   */
  bodyBudget?: BodyBudget;
  /** Called once per invocation attempt that named an existing function (for `nano logs`). */
  onInvocation?: (entry: LogEntry) => void;
  /** When set, the data plane needs `Authorization: Bearer <execToken>` too. */
  execToken?: string;
  /**
   * Functions held but not runnable (the runtime refused their current version): name → why.
   * They answer 503 FunctionUnavailable with the reason, and /healthz lists them.
   */
  unavailable?: ReadonlyMap<string, string>;
  /** Starting, ready or draining, for GET /healthz/ready; left out, the app is ready whenever it answers. */
  readiness?: Readiness;
  /** Adds routes (the control plane) ahead of the functions' own routes, which match anything. */
  extend?: (app: Hono) => void;
  /**
   * This node and the registry revision it serves (`nano server`): every response carries them as
   * `x-nano-node` and `x-nano-revision`, a function's response the revision its call started on.
   */
  node?: { id: string; revision: () => number };
  /** `nano dev`: the functions nano.yml declares, which wait for their first build rather than answer 404 (declared.ts). */
  declared?: DeclaredFunctions;
}

const DEFAULT_MAX_ARGS_BYTES = 64 * 1024;

/** The options once createApp has filled in the budget. */
type Resolved = AppOptions & { bodyBudget: BodyBudget };

/** The query as sent (parseQueryArgs decodes it, once). */
function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}

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

async function argsOf(c: Context, fn: FunctionInfo, maxBytes: number): Promise<WasmValue[]> {
  if (c.req.method === 'POST' || c.req.method === 'PUT' || c.req.method === 'PATCH') {
    const bytes = await readBodyLimited(c.req.raw, {
      bytes: maxBytes,
      what: 'the arguments',
      hint: 'arguments are a few numbers: send them as ?5,2 or a JSON array [5, 2]',
    });
    const body = Buffer.from(bytes).toString('utf8');
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

/** Statuses whose response has no body (the Response constructor refuses one). */
const NULL_BODY = new Set([204, 205, 304]);

/** Where a request for a wagi function came in: `/exec/<name>[/rest]` or one of its routes. */
function wagiTarget(c: Context, name: string, route: RouteTarget | undefined): WagiTarget {
  const rawPath = new URL(c.req.url).pathname;
  const routePath = route?.route.path;
  // The prefix before PATH_INFO: route paths are plain ASCII, so the raw path starts with it too.
  const scriptName = routePath === undefined ? `/exec/${name}` : routePath.endsWith('/*') ? routePath.slice(0, -2) : routePath;
  const rawPathInfo =
    routePath !== undefined && route?.pathInfo === '' ? '' : rawPath.startsWith(scriptName) ? rawPath.slice(scriptName.length) : '';
  return { matchedRoute: routePath ?? `/exec/${name}/*`, rawPathInfo, scriptName };
}

async function invoke(c: Context, options: Resolved, fn: FunctionInfo, route?: RouteTarget): Promise<Response> {
  const requestId = randomUUID();
  const started = performance.now();
  const record = (status: number, outcome: Outcome, version: number | null, durationMs: number, lines: string[]) =>
    options.onInvocation?.({ time: new Date().toISOString(), requestId, name: fn.name, version, status, durationMs, outcome, lines });
  let logged: string[] = [];
  let revision: number | undefined;
  try {
    if (fn.abi === 'wagi') {
      // The body counts against the budget until the call settles: a queued call still holds it.
      const result = await options.bodyBudget.holding(async (lease) => {
        const body = await readBody(c.req.raw, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, lease);
        // Read in the same synchronous step as the executor picks the version: the pair never mixes two revisions.
        revision = options.node?.revision();
        return options.host.invokeWagi(fn.name, wagiRequest(c.req.raw, wagiTarget(c, fn.name, route), body));
      });
      logged = result.logs;
      const cgi = parseCgiResponse(fn.name, result.stdout);
      const headers = new Headers();
      for (const [key, value] of cgi.headers) headers.append(key, value);
      headers.set('x-nano-request-id', requestId);
      headers.set('x-nano-duration-ms', result.durationMs.toFixed(3));
      headers.set('x-nano-cold-start', result.coldStart ? '1' : '0');
      headers.set('x-nano-version', String(result.version));
      if (options.node) {
        headers.set('x-nano-node', options.node.id);
        headers.set('x-nano-revision', String(revision));
      }
      record(cgi.status, 'ok', result.version, result.durationMs, result.logs);
      const responseBody = NULL_BODY.has(cgi.status) || c.req.method === 'HEAD' ? null : cgi.body;
      return new Response(responseBody, { status: cgi.status, headers });
    }
    const args = await argsOf(c, fn, options.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES);
    revision = options.node?.revision();
    const result = await options.host.invoke(fn.name, args);
    record(200, 'ok', result.version, result.durationMs, result.logs);
    // A Response with a plain header object rather than c.header(): @hono/node-server writes it
    // straight to the socket without building a web Headers object, the hot path's largest
    // avoidable cost in a CPU profile.
    return new Response(result.value, {
      headers: {
        'content-type': 'text/plain; charset=UTF-8',
        'x-nano-duration-ms': result.durationMs.toFixed(3),
        'x-nano-cold-start': result.coldStart ? '1' : '0',
        'x-nano-version': String(result.version),
        'x-nano-request-id': requestId,
        ...(options.node && { 'x-nano-node': options.node.id, 'x-nano-revision': String(revision) }),
      },
    });
  } catch (error) {
    c.header('x-nano-request-id', requestId);
    if (options.node && revision !== undefined) c.header('x-nano-revision', String(revision));
    if (error instanceof NanoError) {
      const lines = [...logged, ...logLinesOf(error), error.message];
      record(statusOf(error.code), OUTCOMES[error.code] ?? 'error', fn.version, performance.now() - started, lines);
    }
    throw error;
  }
}

/**
 * No route for the request. When routes do serve its path with other methods (`allowed`), that is a
 * 405 whose `Allow` header lists them (RFC 9110 §15.5.6; http-errors.ts sets it from the value).
 */
function noRoute(c: Context, options: AppOptions, allowed: readonly string[] = []): NanoError {
  if (allowed.length > 0) {
    return new NanoError('MethodNotAllowed', `${c.req.path} does not take ${c.req.method}, only ${allowed.join(', ')}`, {
      value: allowed,
      hint: `send it as ${allowed.join(' or ')}; \`nano info\` lists the routes`,
    });
  }
  return new NanoError('NotFound', `no route for ${c.req.method} ${c.req.path}`, {
    value: c.req.path,
    hint: options.declared?.hints.noRoute ?? 'functions are served at /exec/<name>; `nano info` lists their routes',
  });
}

/** A request for /exec/<name> with a method other than GET and POST, or a path below it: wagi functions only. */
async function execWagi(c: Context, options: Resolved): Promise<Response> {
  const name = c.req.param('name') ?? '';
  await settling(options, name);
  const fn = FUNCTION_NAME.test(name) ? options.host.info(name) : undefined;
  // /exec/<name> of a function that takes arguments is served for GET and POST only.
  if (fn?.abi !== 'wagi') throw noRoute(c, options, fn && c.req.path === `/exec/${name}` ? ['GET', 'HEAD', 'POST'] : []);
  return invoke(c, options, fn);
}

function statsText(executionMs: number, requests: number): string {
  return `execution time: ${Math.round(executionMs)}ms\nnumber of requests: ${requests}`;
}

export function createApp(appOptions: AppOptions): Hono {
  const options: Resolved = {
    ...appOptions,
    bodyBudget: appOptions.bodyBudget ?? new BodyBudget(defaultBodyBytesInFlight(appOptions.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)),
  };
  const app = new Hono();

  const node = options.node;
  if (node) {
    // Every response but a function's own (invoke() names the revision its call started on).
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

  if (options.execToken !== undefined) {
    const guard = requireBearer(options.execToken);
    app.use('/exec/*', guard);
    app.use('/stats/*', guard);
  }
  options.extend?.(app);

  app.on(['GET', 'POST'], '/exec/:name', (c) => {
    const name = c.req.param('name');
    const waiting = settling(options, name);
    if (waiting === undefined) return invoke(c, options, find(options, name));
    return waiting.then(() => invoke(c, options, find(options, name)));
  });
  app.all('/exec/:name', (c) => execWagi(c, options));
  app.all('/exec/:name/*', (c) => execWagi(c, options));

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
  app.all('*', (c) => {
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
