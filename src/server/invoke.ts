/**
 * One invocation through the data plane: the arguments (or, for a `wagi` function, the request) in, the
 * result (or the CGI response) out, with the headers every function response carries and one log entry.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { NanoError, type ErrorCode } from '../errors.js';
import { logLinesOf, parseJsonArgs, parseQueryArgs, type FunctionInfo, type WasmValue } from '../runtime/index.js';
import type { Resolved } from './app-options.js';
import type { Outcome } from './control-api.js';
import { statusOf } from './http-errors.js';
import { DEFAULT_MAX_BODY_BYTES } from './limits.js';
import { readBodyLimited } from './read-body.js';
import type { RouteTarget } from './route-table.js';
import { parseCgiResponse, readBody, wagiRequest, type WagiTarget } from './wagi.js';

const DEFAULT_MAX_ARGS_BYTES = 64 * 1024;

/** The query as sent (parseQueryArgs decodes it, once). */
function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
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

export async function invoke(c: Context, options: Resolved, fn: FunctionInfo, route?: RouteTarget): Promise<Response> {
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
