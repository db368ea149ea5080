/**
 * One call of a `wagi` function (invoke.ts decides): the request in, its CGI response out, with the
 * headers every function response carries. Never synchronous: the body is read first (then the call
 * runs on the main thread or a worker, see src/runtime/calls.ts).
 */
import type { Context } from 'hono';
import type { FunctionInfo } from '../runtime/index.js';
import { inBatch } from './answer-batch.js';
import type { Resolved } from './app-options.js';
import type { Attempt } from './invoke.js';
import { DEFAULT_MAX_BODY_BYTES } from './limits.js';
import type { RouteTarget } from './route-table.js';
import { parseCgiResponse, readBody, wagiRequest, type WagiTarget } from './wagi.js';

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

export async function invokeWagi(
  c: Context,
  options: Resolved,
  fn: FunctionInfo,
  route: RouteTarget | undefined,
  attempt: Attempt,
): Promise<Response> {
  // The body counts against the budget until the call settles: a queued call still holds it.
  const result = await options.bodyBudget.holding(async (lease) => {
    const body = await readBody(c.req.raw, options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, lease);
    // Read in the same synchronous step as the executor picks the version: the pair never mixes two revisions.
    attempt.revision = options.node?.revision();
    const request = wagiRequest(c.req.raw, wagiTarget(c, fn.name, route), body);
    // The function's parent span is this invocation, whether the caller sent a traceparent or not; the
    // caller's tracestate belongs to its trace, and goes when nano started another (spec §3.3.1).
    request.env.HTTP_TRACEPARENT = attempt.traceparent;
    if (attempt.trace.parentId === undefined) delete request.env.HTTP_TRACESTATE;
    return options.host.invokeWagi(fn.name, request);
  });
  attempt.logged = result.logs;
  const cgi = parseCgiResponse(fn.name, result.stdout);
  const headers = new Headers();
  for (const [key, value] of cgi.headers) headers.append(key, value);
  headers.set('x-nano-request-id', attempt.requestId);
  headers.set('traceparent', attempt.traceparent);
  headers.set('x-nano-duration-ms', result.durationMs.toFixed(3));
  headers.set('x-nano-cold-start', result.coldStart ? '1' : '0');
  headers.set('x-nano-version', String(result.version));
  if (options.node) {
    headers.set('x-nano-node', options.node.id);
    headers.set('x-nano-revision', String(attempt.revision));
  }
  attempt.record(cgi.status, 'ok', result.version, result.durationMs, result.logs, result.coldStart);
  const responseBody = NULL_BODY.has(cgi.status) || c.req.method === 'HEAD' ? null : cgi.body;
  return inBatch(new Response(responseBody, { status: cgi.status, headers }));
}
