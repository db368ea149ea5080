/**
 * NanoError codes → HTTP statuses, and the JSON error body every route answers
 * with: `{ "error": { "code": "FunctionTimeout", "message": "..." } }`.
 */
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode, NanoError } from '../errors.js';

const STATUS: Partial<Record<ErrorCode, ContentfulStatusCode>> = {
  BadArguments: 400,
  RequestInvalid: 400,
  // Mostly unseen: the client that cut its body short has usually gone, or Node has answered 400 already.
  RequestAborted: 400,
  ManifestInvalid: 400,
  ModuleRefused: 400,
  BuildFailed: 400,
  Unauthorized: 401,
  FunctionNotFound: 404,
  NotFound: 404,
  MethodNotAllowed: 405,
  // Answered by the socket layer (client-guard.ts), which has no route to throw from.
  RequestTimeout: 408,
  DeployConflict: 409,
  PayloadTooLarge: 413,
  HeadersTooLarge: 431,
  ConcurrencyLimit: 429,
  FunctionTrapped: 500,
  Overloaded: 503,
  FunctionUnavailable: 503,
  // Readiness (readiness.ts): starting or draining; the load balancer's probe reads the status.
  NotReady: 503,
  // `nano dev`'s first build is still running (a compiler may take seconds): a retry soon is served.
  Starting: 503,
  // The shared registry is down: nothing can be committed, and a retry in a few seconds may succeed.
  RegistryUnavailable: 503,
  FunctionTimeout: 504,
  // The server's own data folder refused a write (a full or read-only disk): the operator's to fix, not the client's.
  FileSystemError: 500,
};

export function statusOf(code: ErrorCode): ContentfulStatusCode {
  return STATUS[code] ?? 500;
}

export interface ErrorBody {
  error: { code: string; message: string; hint?: string };
}

export function errorResponse(c: Context, error: NanoError): Response {
  const status = statusOf(error.code);
  if (error.code === 'Overloaded') {
    const retryAfter = typeof error.value === 'number' && error.value > 0 ? Math.ceil(error.value) : 1;
    c.header('Retry-After', String(retryAfter));
  }
  // The methods the path does take (app.ts noRoute), as RFC 9110 §15.5.6 requires of a 405.
  if (error.code === 'MethodNotAllowed' && Array.isArray(error.value)) c.header('Allow', error.value.join(', '));
  // A node that starts is ready within seconds; one that drains never is, but another node behind the same address is.
  if (error.code === 'NotReady') c.header('Retry-After', '1');
  if (error.code === 'Starting') c.header('Retry-After', '1');
  // The client reconnects with a backoff of up to 2 s: by then it has either reconnected or still has not.
  if (error.code === 'RegistryUnavailable') c.header('Retry-After', '2');
  const body: ErrorBody = { error: error.toJSON() };
  return c.json(body, status);
}

/** Anything that is not a NanoError is our bug: answer 500 without leaking internals. */
export function internalErrorResponse(c: Context): Response {
  const body: ErrorBody = { error: { code: 'Internal', message: 'internal error in nano; see the server log' } };
  return c.json(body, 500);
}
