/**
 * One invocation through the data plane: the arguments (or, for a `wagi` function, the request) in, the
 * result (or the CGI response) out, with the headers every function response carries and one log entry.
 *
 * The hot path, `GET /exec/<fn>?5,2`, stays synchronous from the route to the Response whenever the
 * executor's `call` returns the result itself: no promise, no extra turn of the event loop, and
 * @hono/node-server writes a Response it gets synchronously at once. Everything that has to wait (a
 * body to read, a call that went to a worker) returns a promise instead; a failure takes the same
 * path (Attempt.fail) whether it was thrown or rejected.
 */
import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { NanoError, type ErrorCode } from '../errors.js';
import { logLinesOf, parseJsonArgs, parseQueryArgs, type FunctionInfo, type InvokeResult, type WasmValue } from '../runtime/index.js';
import { inBatch } from './answer-batch.js';
import type { Invocation, Resolved } from './app-options.js';
import type { Outcome } from './control-api.js';
import { statusOf } from './http-errors.js';
import { invokeWagi } from './invoke-wagi.js';
import { readBodyLimited } from './read-body.js';
import { nextRequestId } from './request-id.js';
import type { RouteTarget } from './route-table.js';
import { traceOf, traceparentOf, type TraceContext } from './trace-context.js';

const DEFAULT_MAX_ARGS_BYTES = 64 * 1024;

const OUTCOMES: Partial<Record<ErrorCode, Outcome>> = {
  FunctionTrapped: 'trap',
  FunctionTimeout: 'timeout',
  ConcurrencyLimit: 'throttled',
  Overloaded: 'throttled',
};

/**
 * Set on Node's request object to the invocation it made, for observers of the socket's requests (the
 * request log), which see the request and its response but not the route that served it.
 */
export const INVOCATION = Symbol('nano.invocation');

type Incoming = IncomingMessage & { [INVOCATION]?: Invocation };

/** Node's request, when the app runs on a socket (@hono/node-server's bindings). */
function incomingOf(c: Context): Incoming | undefined {
  return (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
}

/**
 * The request's `traceparent`, read from Node's parsed headers when the app runs on a socket: asking the
 * web Request for one header would build all of them, a cost the hot path does not otherwise pay.
 */
function traceparentHeader(incoming: Incoming | undefined, c: Context): string | undefined {
  if (incoming === undefined) return c.req.header('traceparent');
  const value = incoming.headers.traceparent;
  return Array.isArray(value) ? value.join(',') : value;
}

/** One invocation attempt: its id, its span, when it began, and what its log entry and responses need. */
export class Attempt {
  readonly requestId = nextRequestId();
  readonly trace: TraceContext;
  /** `00-<trace id>-<this span>-<flags>`: the response's `traceparent`, and a WAGI function's HTTP_TRACEPARENT. */
  readonly traceparent: string;
  readonly started = performance.now();
  /** The registry revision the call started on (`nano server`), read as the executor picks the version. */
  revision: number | undefined;
  /** What the function logged before the attempt failed (a wagi response that does not parse). */
  logged: string[] = [];

  constructor(
    private readonly options: Resolved,
    private readonly fn: FunctionInfo,
    private readonly incoming: Incoming | undefined,
    traceparent: string | undefined,
  ) {
    this.trace = traceOf(traceparent);
    this.traceparent = traceparentOf(this.trace);
  }

  record(status: number, outcome: Outcome, version: number | null, durationMs: number, lines: string[], coldStart = false): void {
    // The time as a number: formatting it is for whoever reads the entry (invocation-log.ts).
    const timeMs = Date.now();
    const invocation: Invocation = {
      timeMs,
      requestId: this.requestId,
      name: this.fn.name,
      version,
      status,
      durationMs,
      outcome,
      lines,
      coldStart,
      traceId: this.trace.traceId,
      trace: this.trace,
      // On the wall clock, as timeMs is: the monotonic clock's origin drifts from it over a long run.
      startMs: timeMs - (performance.now() - this.started),
    };
    if (this.incoming !== undefined) this.incoming[INVOCATION] = invocation;
    try {
      this.options.onInvocation?.(invocation);
    } catch (error) {
      // The call is over and answered: what watches it (logs, metrics, the console) cannot change that.
      this.options.onInternalError?.(error);
    }
  }

  /** Records the failure and names the request on its error response; app.onError answers it. */
  fail(c: Context, error: unknown): never {
    c.header('x-nano-request-id', this.requestId);
    c.header('traceparent', this.traceparent);
    if (this.options.node && this.revision !== undefined) c.header('x-nano-revision', String(this.revision));
    if (error instanceof NanoError) {
      const lines = [...this.logged, ...logLinesOf(error), error.message];
      this.record(statusOf(error.code), OUTCOMES[error.code] ?? 'error', this.fn.version, performance.now() - this.started, lines);
    }
    throw error;
  }
}

export function invoke(c: Context, options: Resolved, fn: FunctionInfo, route?: RouteTarget): Response | Promise<Response> {
  const incoming = incomingOf(c);
  const attempt = new Attempt(options, fn, incoming, traceparentHeader(incoming, c));
  try {
    const response = fn.abi === 'wagi' ? invokeWagi(c, options, fn, route, attempt) : invokeArgs(c, options, fn, attempt);
    return response instanceof Promise ? response.catch((error: unknown) => attempt.fail(c, error)) : response;
  } catch (error) {
    return attempt.fail(c, error);
  }
}

/** The query as sent (parseQueryArgs decodes it, once). */
function rawQuery(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at + 1);
}

function invokeArgs(c: Context, options: Resolved, fn: FunctionInfo, attempt: Attempt): Response | Promise<Response> {
  const method = c.req.method;
  if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
    return bodyArgs(c, fn, options.maxArgsBytes ?? DEFAULT_MAX_ARGS_BYTES).then((args) => call(options, fn, attempt, args));
  }
  return call(options, fn, attempt, parseQueryArgs(fn.name, fn.signature, rawQuery(c.req.url)));
}

/** A JSON body (`[5,2]`, `{"args":[5,2]}`); an empty one leaves the arguments to the query. */
async function bodyArgs(c: Context, fn: FunctionInfo, maxBytes: number): Promise<WasmValue[]> {
  const bytes = await readBodyLimited(c.req.raw, {
    bytes: maxBytes,
    what: 'the arguments',
    hint: 'arguments are a few numbers: send them as ?5,2 or a JSON array [5, 2]',
  });
  const body = Buffer.from(bytes).toString('utf8');
  if (body.trim() !== '') return parseJsonArgs(fn.name, fn.signature, body);
  return parseQueryArgs(fn.name, fn.signature, rawQuery(c.req.url));
}

function call(options: Resolved, fn: FunctionInfo, attempt: Attempt, args: WasmValue[]): Response | Promise<Response> {
  // Read in the same synchronous step as the executor picks the version: the pair never mixes two revisions.
  attempt.revision = options.node?.revision();
  const result = options.host.call(fn.name, args);
  return result instanceof Promise
    ? result.then((settled) => respond(options, attempt, settled))
    : inBatch(respond(options, attempt, result));
}

function respond(options: Resolved, attempt: Attempt, result: InvokeResult): Response {
  const response = new Response(result.value, { headers: options.resultHeaders(result, attempt, attempt.revision) });
  attempt.record(200, 'ok', result.version, result.durationMs, result.logs, result.coldStart);
  return response;
}
