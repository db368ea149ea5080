/**
 * The console's invoke form: the form's fields become a real request for `/exec/<name>[/path]?args`,
 * passed through the same Hono app as any other (so it is a real invocation — counted, logged, limited,
 * with the exec token when the server has one), and its status, headers and body come back as JSON.
 * The function's own failures (400 bad arguments, a trap) are its answer, not the console's error.
 */
import type { Context, Hono } from 'hono';
import { NanoError } from '../../errors.js';
import type { ConsoleFunction } from './console-source.js';
import { readJsonOrForm } from './request-body.js';

/** The part of a function's response shown: a test answer, not a download. */
export const MAX_SHOWN_BODY_BYTES = 64 * 1024;
const WAGI_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

export interface InvokeAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The body was longer than MAX_SHOWN_BODY_BYTES and is cut there. */
  truncated: boolean;
}

function field(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new NanoError('RequestInvalid', `"${key}" must be a string, got ${JSON.stringify(value)}`, { value });
  }
  return value;
}

/** `5, 2` → `?5,2`: the query form of /exec, each argument encoded on its own. */
function argsQuery(args: string | undefined): string {
  const items = (args ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return items.length === 0 ? '' : `?${items.map(encodeURIComponent).join(',')}`;
}

/** A tab or newline in a path is a typing slip: refused rather than sent percent-encoded. */
const hasControlCharacter = (text: string) => [...text].some((char) => char.charCodeAt(0) < 0x20);

/** The request the form describes; refused when it would leave the function's own `/exec/<name>` path. */
function requestOf(origin: string, fn: ConsoleFunction, body: Record<string, unknown>, execToken: string | undefined): Request {
  const base = `/exec/${fn.name}`;
  const headers = new Headers();
  if (execToken !== undefined) headers.set('authorization', `Bearer ${execToken}`);
  if (fn.abi !== 'wagi') return new Request(`${origin}${base}${argsQuery(field(body, 'args'))}`, { headers });

  const method = (field(body, 'method') ?? 'GET').toUpperCase();
  if (!WAGI_METHODS.includes(method)) {
    throw new NanoError('RequestInvalid', `"${method}" is not a method the invoke form sends`, {
      value: method,
      hint: `one of ${WAGI_METHODS.join(', ')}`,
    });
  }
  const path = field(body, 'path') ?? '';
  const url = new URL(`${origin}${base}${path !== '' && !path.startsWith('/') && !path.startsWith('?') ? '/' : ''}${path}`);
  // `..` segments are resolved by the URL parser: a path that leaves /exec/<name> would reach another route.
  if (url.origin !== origin || !(url.pathname === base || url.pathname.startsWith(`${base}/`)) || hasControlCharacter(path)) {
    throw new NanoError('RequestInvalid', `the path "${path}" leaves ${base}`, {
      value: path,
      hint: `a path below the function, like /7?full=1 (sent as ${base}/7?full=1)`,
    });
  }
  const text = field(body, 'body') ?? '';
  const withBody = method !== 'GET' && method !== 'HEAD';
  if (!withBody && text !== '') {
    throw new NanoError('RequestInvalid', `a ${method} request has no body`, { value: method, hint: 'use POST or PUT to send a body' });
  }
  if (withBody) headers.set('content-type', field(body, 'contentType') || 'text/plain; charset=utf-8');
  return new Request(url, { method, headers, ...(withBody ? { body: text } : {}) });
}

export async function invokeThroughApp(c: Context, app: Hono, fn: ConsoleFunction, execToken: string | undefined): Promise<InvokeAnswer> {
  const body = await readJsonOrForm(c.req.raw);
  const request = requestOf(new URL(c.req.url).origin, fn, body, execToken);
  const response = await app.fetch(request);
  const bytes = new Uint8Array(await response.arrayBuffer());
  const truncated = bytes.length > MAX_SHOWN_BODY_BYTES;
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    body: Buffer.from(truncated ? bytes.subarray(0, MAX_SHOWN_BODY_BYTES) : bytes).toString('utf8'),
    truncated,
  };
}
