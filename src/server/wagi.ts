/**
 * WAGI on the HTTP side: an HTTP request → the CGI environment, argv and stdin
 * of a WAGI module (as deislabs/wagi and Spin's wagi executor define them), and
 * the module's stdout → an HTTP response (RFC 3875 §6: header lines, a blank
 * line, the body). The module runs in the runtime (wasi-host.ts); this file
 * never sees an instance.
 */
import { NanoError } from '../errors.js';
import type { WagiRequest } from '../runtime/index.js';
import type { BodyLease } from './body-budget.js';
import { readBodyLimited } from './read-body.js';

/** Headers a script's response may not set: nano frames the body itself. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

/** RFC 3875 §4.1.18: credentials are not handed to scripts. */
const HIDDEN_HEADERS = new Set(['authorization', 'proxy-authorization']);

export interface WagiTarget {
  /** The route as configured (`/api/items/*`) or `/exec/<name>`: X_MATCHED_ROUTE. */
  matchedRoute: string;
  /** The path below the route's prefix, still percent-encoded ('' for an exact match). */
  rawPathInfo: string;
  /** The path up to PATH_INFO: SCRIPT_NAME. */
  scriptName: string;
}

function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** `a=1&b=x%20y` → ['a=1', 'b=x y'] (WAGI passes each query argument in argv, decoded). */
function queryArgs(query: string): string[] {
  if (query === '') return [];
  return query.split('&').map((part) => decodePath(part.replaceAll('+', ' ')));
}

/**
 * Reads at most `limit` bytes; a larger body is a 413 before any of it reaches the module. The bytes
 * count against the server's budget through `lease`, which the caller holds until the call settles.
 */
export function readBody(request: Request, limit: number, lease?: BodyLease): Promise<Uint8Array> {
  return readBodyLimited(request, {
    bytes: limit,
    what: 'the request body',
    hint: 'send a smaller body, or start the server with a larger --max-body-size',
    lease,
  });
}

/** The CGI/WAGI environment and argv for one request. */
export function wagiRequest(request: Request, target: WagiTarget, body: Uint8Array): WagiRequest {
  const url = new URL(request.url);
  const query = url.search.startsWith('?') ? url.search.slice(1) : '';
  const env: Record<string, string> = {};
  for (const [name, value] of request.headers) {
    if (HIDDEN_HEADERS.has(name)) continue;
    env[`HTTP_${name.toUpperCase().replaceAll('-', '_')}`] = value;
  }
  const host = request.headers.get('host') ?? url.host;
  const colon = host.lastIndexOf(':');
  const hasPort = colon > host.lastIndexOf(']');
  Object.assign(env, {
    GATEWAY_INTERFACE: 'CGI/1.1',
    SERVER_SOFTWARE: 'nano',
    SERVER_PROTOCOL: 'HTTP/1.1',
    SERVER_NAME: hasPort ? host.slice(0, colon) : host,
    SERVER_PORT: hasPort ? host.slice(colon + 1) : url.protocol === 'https:' ? '443' : '80',
    REQUEST_METHOD: request.method,
    SCRIPT_NAME: target.scriptName,
    PATH_INFO: decodePath(target.rawPathInfo),
    PATH_TRANSLATED: decodePath(target.rawPathInfo),
    X_RAW_PATH_INFO: target.rawPathInfo,
    X_MATCHED_ROUTE: target.matchedRoute,
    X_FULL_URL: url.href,
    QUERY_STRING: query,
    CONTENT_TYPE: request.headers.get('content-type') ?? '',
    CONTENT_LENGTH: String(body.length),
  });
  return { args: [target.scriptName || '/', ...queryArgs(query)], env, body };
}

export interface CgiResponse {
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

function badResponse(name: string, why: string): NanoError {
  return new NanoError('BadResponse', `${name} wrote an invalid CGI response: ${why}`, {
    value: why,
    hint: 'a wagi function prints headers (at least content-type or location), a blank line, then the body',
  });
}

/** Finds the blank line that ends the header block: `\n\n` or `\r\n\r\n` (or a mix). */
function headerEnd(out: Uint8Array): { end: number; bodyStart: number } | undefined {
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== 0x0a) continue;
    if (out[i + 1] === 0x0a) return { end: i, bodyStart: i + 2 };
    if (out[i + 1] === 0x0d && out[i + 2] === 0x0a) return { end: i, bodyStart: i + 3 };
  }
  return undefined;
}

/** Parses stdout as a CGI response; a malformed one is a BadResponse (500) saying what was wrong. */
export function parseCgiResponse(name: string, out: Uint8Array): CgiResponse {
  if (out.length === 0) throw badResponse(name, 'it wrote nothing to stdout');
  const found = headerEnd(out);
  if (found === undefined) throw badResponse(name, 'no header block (header lines followed by a blank line) on stdout');
  const lines = Buffer.from(out.buffer, out.byteOffset, found.end).toString('latin1').split('\n');
  let status: number | undefined;
  let hasType = false;
  let location: string | undefined;
  const headers: [string, string][] = [];
  for (const rawLine of lines) {
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (line === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw badResponse(name, `header line "${line.slice(0, 80)}" has no name: value`);
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) throw badResponse(name, `"${key.slice(0, 80)}" is not a header name`);
    if (key === 'status') {
      const code = /^(\d{3})(\s.*)?$/.exec(value);
      const parsed = code ? Number(code[1]) : NaN;
      if (!(parsed >= 200 && parsed <= 599)) throw badResponse(name, `status "${value}" is not an HTTP status from 200 to 599`);
      status = parsed;
      continue;
    }
    if (key === 'content-type') hasType = true;
    if (key === 'location') location = value;
    // Framing is the server's business: the body's length is known, and hop-by-hop headers are not the script's.
    if (FRAMING_HEADERS.has(key)) continue;
    // A value the HTTP layer could not send (a control character, a non-Latin-1 one) fails here, not later.
    if (!/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) throw badResponse(name, `header "${key}" has a value that cannot be sent`);
    headers.push([key, value]);
  }
  if (!hasType && location === undefined) throw badResponse(name, 'no content-type or location header');
  // RFC 3875 §6.2.3: a redirect without a status of its own is a 302.
  const body = out.subarray(found.bodyStart);
  return { status: status ?? (location !== undefined && !hasType ? 302 : 200), headers, body };
}
